// outsafe serve: the signing pages of a 作业票 (web/templates/ticket_step.html, ticket_new.html).
// A signature pad on a <canvas> (pointer events: a finger, a stylus or a mouse), photo thumbnails,
// and the form sent with fetch as multipart/form-data — the fields, the signature as a PNG, the
// photos — with the page's form token in the X-CSRF-Token header. The server answers JSON: the
// ticket's page to go to, or the problems to show. No inline script (CSP script-src 'self').
(function () {
  "use strict";

  document.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
    sel.addEventListener("change", function () { sel.form.submit(); });
  });

  var form = document.querySelector("form[data-sign-form]");
  if (!form) return;
  var canvas = form.querySelector("canvas.sigpad");
  var ctx = canvas.getContext("2d");
  var strokes = 0, points = 0, drawing = false, last = null;
  var hint = form.querySelector("[data-pad-hint]");
  var errorBox = form.querySelector("[data-form-error]");

  function setup() {
    var rect = canvas.getBoundingClientRect();
    var ratio = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(rect.width * ratio));
    canvas.height = Math.max(1, Math.round(rect.height * ratio));
    ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.lineWidth = 2.6;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#111";
    strokes = 0;
    points = 0;
    if (hint) hint.textContent = "用手指在框内签名";
  }

  function at(e) {
    var rect = canvas.getBoundingClientRect();
    return { x: e.clientX - rect.left, y: e.clientY - rect.top };
  }

  canvas.addEventListener("pointerdown", function (e) {
    e.preventDefault();
    if (canvas.setPointerCapture) canvas.setPointerCapture(e.pointerId);
    drawing = true;
    last = at(e);
    ctx.beginPath();
    ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, Math.PI * 2);
    ctx.fillStyle = "#111";
    ctx.fill();
    strokes += 1;
  });
  canvas.addEventListener("pointermove", function (e) {
    if (!drawing) return;
    e.preventDefault();
    var p = at(e);
    ctx.beginPath();
    ctx.moveTo(last.x, last.y);
    ctx.lineTo(p.x, p.y);
    ctx.stroke();
    last = p;
    points += 1;
    if (hint) hint.textContent = "已签名";
  });
  function stop() { drawing = false; last = null; }
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
  canvas.addEventListener("pointerleave", stop);
  form.querySelector("[data-pad-clear]").addEventListener("click", function () {
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.restore();
    strokes = 0;
    points = 0;
    if (hint) hint.textContent = "用手指在框内签名";
  });
  window.addEventListener("resize", function () { if (!points) setup(); });
  setup();

  var photos = form.querySelector("input[data-photos]");
  var thumbs = form.querySelector("[data-thumbs]");
  if (photos && thumbs) {
    photos.addEventListener("change", function () {
      thumbs.textContent = "";
      Array.prototype.forEach.call(photos.files, function (file) {
        var item = document.createElement("span");
        item.className = "thumb";
        item.textContent = file.name + "（" + Math.round(file.size / 1024) + " KB）";
        thumbs.appendChild(item);
      });
    });
  }

  function showErrors(lines) {
    errorBox.textContent = "";
    lines.forEach(function (line) {
      var p = document.createElement("span");
      p.textContent = line;
      errorBox.appendChild(p);
      errorBox.appendChild(document.createElement("br"));
    });
    errorBox.hidden = false;
    errorBox.scrollIntoView({ block: "center" });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!form.reportValidity()) return;
    if (points < 3) { showErrors(["请在签字框内手写签名"]); return; }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    button.dataset.text = button.dataset.text || button.textContent;
    button.textContent = "正在封签…";
    canvas.toBlob(function (blob) {
      var data = new FormData(form);
      data.set("signature", blob, "signature.png");
      var token = form.querySelector("input[name=csrf_token]").value;
      fetch(form.action, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-CSRF-Token": token, "Accept": "application/json" }
      }).then(function (r) {
        return r.json().then(function (d) { return { ok: r.ok, d: d }; }, function () { return { ok: false, d: { error: "服务器错误（" + r.status + "）" } }; });
      }).then(function (res) {
        if (res.ok && res.d.next) { window.location.assign(res.d.next); return; }
        showErrors([res.d.error || "未签成"].concat(res.d.details || []));
        button.disabled = false;
        button.textContent = button.dataset.text;
      }).catch(function () {
        showErrors(["网络中断，未签成；签名仍在框内，请稍后重试"]);
        button.disabled = false;
        button.textContent = button.dataset.text;
      });
    }, "image/png");
  });
})();
