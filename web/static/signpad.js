// Signature pad: draw with a finger or a mouse on each .signpad canvas; the drawing goes into the
// hidden input named by data-field as a PNG data: URL when the stroke ends (nothing drawn: empty).
// No inline script (the Content-Security-Policy forbids it); the page works without this file
// except for signing.
(function () {
  "use strict";
  function setup(pad) {
    var canvas = pad.querySelector("canvas");
    var field = pad.querySelector("input[type=hidden]");
    if (!canvas || !field) return;
    var ctx = canvas.getContext("2d");
    var drawing = false, drawn = false, last = null;
    function size() {
      var w = Math.max(200, Math.min(800, Math.round(canvas.clientWidth || 300)));
      var h = Math.max(100, Math.round(canvas.clientHeight || 160));
      if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; drawn = false; field.value = ""; }
      ctx.lineWidth = 2.6; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
    }
    function at(ev) {
      var r = canvas.getBoundingClientRect();
      return { x: (ev.clientX - r.left) * canvas.width / r.width, y: (ev.clientY - r.top) * canvas.height / r.height };
    }
    canvas.addEventListener("pointerdown", function (ev) {
      ev.preventDefault(); drawing = true; last = at(ev);
      if (canvas.setPointerCapture) canvas.setPointerCapture(ev.pointerId);
      ctx.beginPath(); ctx.arc(last.x, last.y, 1.2, 0, Math.PI * 2); ctx.fillStyle = "#111"; ctx.fill();
    });
    canvas.addEventListener("pointermove", function (ev) {
      if (!drawing) return;
      ev.preventDefault();
      var p = at(ev);
      ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke();
      last = p; drawn = true;
    });
    function end() {
      if (!drawing) return;
      drawing = false; drawn = true;
      field.value = canvas.toDataURL("image/png");
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("pointerleave", end);
    var clear = pad.querySelector(".clear");
    if (clear) clear.addEventListener("click", function () { ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; field.value = ""; });
    size();
    window.addEventListener("resize", function () { if (!drawn) size(); });
  }
  var pads = document.querySelectorAll(".signpad");
  for (var i = 0; i < pads.length; i++) setup(pads[i]);
})();
