// The exam page: the time left (the server's: the page starts from the seconds the server gave and
// re-syncs with every save), each answer saved on the server as it is given, and the paper handed
// in when the time is up. Without this file the page still works: answer, then 交卷.
(function () {
  "use strict";
  var form = document.getElementById("paper");
  var box = document.getElementById("timer");
  if (!form || !box) return;
  var clock = document.getElementById("clock");
  var answered = document.getElementById("answered");
  var token = form.querySelector("input[name=csrf_token]").value;
  var end = Date.now() + 1000 * parseInt(box.getAttribute("data-remaining") || "0", 10);
  var handingIn = false;

  function two(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var left = Math.max(0, Math.round((end - Date.now()) / 1000));
    clock.textContent = Math.floor(left / 60) + ":" + two(left % 60);
    box.className = left <= 60 ? "timer low" : "timer";
    if (left <= 0) { handIn(); return; }
    setTimeout(tick, 500);
  }
  function handIn() {
    if (handingIn) return;
    handingIn = true;
    clock.textContent = "时间到，正在交卷…";
    form.submit();
  }
  function mark() {
    var n = 0;
    var qs = form.querySelectorAll("fieldset.question");
    for (var i = 0; i < qs.length; i++) {
      var on = qs[i].querySelector("input:checked") !== null;
      qs[i].className = on ? "question answered" : "question";
      if (on) n++;
    }
    return { done: n, all: qs.length };
  }
  function save() {
    var body = new URLSearchParams(new FormData(form));
    fetch(form.getAttribute("data-save"), {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "Accept": "application/json", "X-CSRF-Token": token }
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (st) {
      if (!st) return;
      if (st.status !== "open") { window.location.reload(); return; }
      if (answered) answered.textContent = st.answered;
      if (typeof st.remaining_seconds === "number") end = Date.now() + 1000 * st.remaining_seconds;
    }).catch(function () { /* offline: the answers stay in the page and go with the paper */ });
  }
  form.addEventListener("change", function () { var m = mark(); if (answered) answered.textContent = m.done; save(); });
  form.addEventListener("submit", function (ev) {
    if (handingIn) return;
    var submitter = ev.submitter;
    if (submitter && submitter.id === "save-now") return;
    var m = mark();
    if (m.done < m.all && !window.confirm("还有 " + (m.all - m.done) + " 题未答，确定交卷吗？")) { ev.preventDefault(); return; }
    handingIn = true;
  });
  mark();
  tick();
})();
