// outsafe serve: the one script. Pages work without it; with it, a job page shows its progress
// without reloading (polling /api/jobs/<id> once a second) and reloads once when the job ends.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) return;
  var state = box.getAttribute("data-state");
  if (state !== "queued" && state !== "running") return;
  var id = box.getAttribute("data-job");
  function poll() {
    fetch("/api/jobs/" + encodeURIComponent(id), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job) { setTimeout(poll, 3000); return; }
        if (job.state === "done" || job.state === "failed") { window.location.reload(); return; }
        var bar = document.getElementById("job-progress");
        if (bar) { bar.value = job.percent; bar.textContent = job.percent + "%"; }
        var stage = document.getElementById("job-stage");
        if (stage) stage.textContent = job.stage_name || "准备中";
        var count = document.getElementById("job-count");
        if (count) count.textContent = job.total ? job.done + " / " + job.total : "";
        var msg = document.getElementById("job-message");
        if (msg && job.messages.length) msg.textContent = job.messages[job.messages.length - 1];
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 700);
})();
