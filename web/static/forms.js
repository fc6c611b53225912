// outsafe serve: the forms (填表). The form works without this script (every button posts and the
// server answers with the page); with it:
//  - rows are added and removed in the page (from each list's <template>), no round trip;
//  - a person picked from the list fills the name and the (masked) 身份证号; a unit shows its name;
//  - what is typed is saved on the server as the draft a moment after each change (fetch, with the
//    CSRF token), and kept in this browser (localStorage) while the connection is down or the
//    session has ended, then sent when it can be: the status says 已保存 / 未联网，已暂存本机.
(function () {
  "use strict";
  var form = document.getElementById("case-form");
  if (!form) return;
  var status = document.getElementById("save-status");
  var token = form.querySelector("input[name=csrf_token]").value;
  var who = (document.querySelector(".who span") || {}).textContent || "";
  var DELAY = 1200, RETRY = 8000;
  var timer = null, inFlight = false, again = false, dirty = false;

  function storeKey() {
    var d = form.getAttribute("data-draft");
    return "outsafe:form:" + who.split(" ")[0] + ":" + (d ? d : "new:" + form.getAttribute("data-key"));
  }
  function revision() { return parseInt(status.getAttribute("data-revision") || "0", 10); }
  function show(cls, text) { status.className = "save-status " + cls; status.textContent = text; }
  function hhmm() { var d = new Date(); return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2); }

  // --- what the form holds ---------------------------------------------------------------------
  function pairs() {
    var out = [];
    new FormData(form).forEach(function (v, k) { if (typeof v === "string" && k !== "_action") out.push([k, v]); });
    return out;
  }
  function hasFiles() {
    return Array.prototype.some.call(form.querySelectorAll("input[type=file]"), function (i) { return i.files && i.files.length; });
  }
  function keepLocally(reason) {
    try {
      localStorage.setItem(storeKey(), JSON.stringify({ pairs: pairs(), at: Date.now(), base: revision() }));
      show("offline", reason || "未联网，已暂存本机");
    } catch (e) { show("error", "未能保存：本机存储不可用"); }
  }
  function forget() { try { localStorage.removeItem(storeKey()); } catch (e) { /* nothing kept */ } }

  // --- saving ----------------------------------------------------------------------------------
  function body(fromPairs) {
    if (fromPairs) {
      var p = new URLSearchParams();
      fromPairs.forEach(function (kv) { if (kv[0] !== "_action") p.append(kv[0], kv[1]); });
      p.set("_action", "save");
      return p;
    }
    var fd = new FormData(form);
    fd.set("_action", "save");
    return fd;
  }
  function adopt(res) {
    // the draft made by the first save of a new form: the page becomes the draft's page
    if (res.url && !form.getAttribute("data-draft")) {
      var old = storeKey();
      form.setAttribute("data-draft", res.draft.id);
      form.setAttribute("action", res.url);
      form.setAttribute("data-autosave", "/api" + res.url);
      try { localStorage.removeItem(old); } catch (e) { /* nothing */ }
      if (window.history && history.replaceState) history.replaceState(null, "", res.url);
      var small = document.querySelector("main h1 small");
      if (small) small.textContent = "草稿";
    }
    if (res.draft) status.setAttribute("data-revision", String(res.draft.revision));
    Object.keys(res.attached || {}).forEach(function (path) {
      var text = form.querySelector('input[name="' + path + '"]');
      if (text) text.value = res.attached[path];
      var file = form.querySelector('input[name="' + path + ':upload"]');
      if (file) file.value = "";
    });
  }
  function save(fromPairs) {
    if (inFlight) { again = true; return Promise.resolve(false); }
    if (!navigator.onLine) { keepLocally(); return Promise.resolve(false); }
    inFlight = true; dirty = false;
    show("saving", "保存中…");
    return fetch(form.getAttribute("data-autosave"), {
      method: "POST", body: body(fromPairs), credentials: "same-origin",
      headers: { "X-CSRF-Token": token, "Accept": "application/json" }
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (res) { return { r: r, res: res }; });
    }).then(function (x) {
      inFlight = false;
      if (x.r.status === 401 || x.r.status === 403) { keepLocally("登录已失效，已暂存本机；请重新登录后再打开此页"); return false; }
      if (!x.r.ok && !x.res.saved) { keepLocally("保存失败（" + x.r.status + "），已暂存本机"); return false; }
      adopt(x.res);
      forget();
      var problems = x.res.problems || [];
      if (problems.length) show("error", "已保存，但图片未收下：" + problems.map(function (p) { return p.message; }).join("；"));
      else show("saved", "已保存 " + hhmm() + " · 第 " + revision() + " 版");
      if (again || dirty) { again = false; schedule(); }
      return true;
    }).catch(function () {
      inFlight = false;
      keepLocally();
      return false;
    });
  }
  function schedule() {
    dirty = true;
    show("", "有修改，稍后自动保存");
    if (timer) clearTimeout(timer);
    timer = setTimeout(function () { timer = null; save(); }, DELAY);
  }
  form.addEventListener("input", function (e) { if (e.target.type !== "file") schedule(); });
  form.addEventListener("change", function (e) { if (e.target.type === "file") save(); else schedule(); });

  // what was kept while offline goes to the server when the connection is back
  function resend() {
    var kept;
    try { kept = JSON.parse(localStorage.getItem(storeKey()) || "null"); } catch (e) { kept = null; }
    if (!kept || inFlight) return;
    if (kept.base < revision()) {
      show("offline", "本机另存有一份未上传的修改（" + new Date(kept.at).toLocaleString() + "），服务器上已有更新的版本；请核对后重新保存");
      return;
    }
    save(kept.pairs).then(function (ok) { if (ok && !form.contains(document.activeElement)) window.location.reload(); });
  }
  window.addEventListener("online", function () { if (dirty) save(); else resend(); });
  window.addEventListener("offline", function () { if (dirty) keepLocally(); else show("offline", "未联网；修改将暂存本机"); });
  setInterval(function () {
    if (navigator.onLine && !inFlight && localStorage.getItem(storeKey())) { if (dirty) save(); else resend(); }
  }, RETRY);
  window.addEventListener("pagehide", function () { if (dirty || inFlight) keepLocally(); });
  if (localStorage.getItem(storeKey())) resend();
  else if (!navigator.onLine) show("offline", "未联网；修改将暂存本机");

  // a button that leaves the page while offline would lose it: keep the form instead
  form.addEventListener("submit", function (e) {
    if (!navigator.onLine) { e.preventDefault(); keepLocally("未联网，已暂存本机；联网后再提交"); return; }
    if (timer) { clearTimeout(timer); timer = null; }
    dirty = false;
    forget();
  });

  // --- rows ------------------------------------------------------------------------------------
  form.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("button[name=_action]") : null;
    if (!b) return;
    var v = b.value || "";
    if (v.indexOf("add:") === 0) {
      var set = form.querySelector('fieldset[data-path="' + v.slice(4) + '"]');
      if (!set) return;
      e.preventDefault();
      addRow(set);
    } else if (v.indexOf("remove:") === 0) {
      var li = b.closest("li.row");
      if (!li) return;
      e.preventDefault();
      var list = li.closest("fieldset.rows");
      li.parentNode.removeChild(li);
      count(list);
      schedule();
    }
  });
  function addRow(set) {
    var tpl = set.querySelector(":scope > template");
    var depth = set.getAttribute("data-depth");
    var next = parseInt(set.getAttribute("data-next") || "0", 10);
    var html = tpl.innerHTML.split("__i" + depth + "__").join(String(next));
    var ol = set.querySelector(":scope > ol.row-list");
    ol.insertAdjacentHTML("beforeend", html);
    set.setAttribute("data-next", String(next + 1));
    var li = ol.lastElementChild;
    var no = li.querySelector(".row-no b");
    if (no) no.textContent = String(ol.children.length);
    count(set);
    var first = li.querySelector("input:not([type=hidden]),select,textarea");
    if (first) first.focus();
    schedule();
  }
  function count(set) {
    var c = set && set.querySelector(":scope > legend .count");
    if (c) c.textContent = String(set.querySelector(":scope > ol.row-list").children.length);
  }

  // --- pickers ---------------------------------------------------------------------------------
  var PICKED = /^\s*(.+?)\s+(\d{4}\*{10}\d{3}[\dXx])\s*$/;
  form.addEventListener("input", function (e) {
    var t = e.target;
    var ref = t.getAttribute && t.getAttribute("data-ref");
    if (!ref) return;
    if (ref === "person") {
      var m = PICKED.exec(t.value);
      if (m) {
        t.value = m[1];
        var id = form.querySelector('input[name="' + t.name.replace(/name$/, "id_number") + '"]');
        if (id) id.value = m[2];
      }
    } else if (ref.indexOf("org") === 0) {
      var out = form.querySelector('output.ref-name[data-for="' + t.id + '"]');
      var list = document.getElementById(t.getAttribute("list"));
      var name = "";
      if (list) Array.prototype.forEach.call(list.options, function (o) { if (o.value === t.value.trim().toUpperCase()) name = o.textContent; });
      if (out) out.textContent = name;
    }
  });

  // a registry larger than the page's lists: ask the server for what matches as one types
  var asked = {};
  var timer = null;
  function fill(list, items) {
    var kind = list.getAttribute("data-kind"), role = list.getAttribute("data-role");
    list.textContent = "";
    items.forEach(function (x) {
      if (role && x.role !== role) return;
      var o = document.createElement("option");
      if (kind === "org") { o.value = x.uscc; o.textContent = x.name; }
      else if (kind === "project") { o.value = x.code; o.textContent = x.name; }
      else { o.value = x.value; o.textContent = x.label; }
      list.appendChild(o);
    });
  }
  form.addEventListener("input", function (e) {
    var t = e.target;
    var list = t.getAttribute && t.getAttribute("list") && document.getElementById(t.getAttribute("list"));
    if (!list || list.getAttribute("data-more") !== "1") return;
    var q = t.value.trim();
    if (!q || PICKED.test(t.value)) return;
    var key = list.id + "\u0000" + q;
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (asked[key]) { fill(list, asked[key]); return; }
      fetch("/forms/lookup?kind=" + encodeURIComponent(list.getAttribute("data-kind")) + "&q=" + encodeURIComponent(q) + "&limit=50",
            {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (d) { if (d) { asked[key] = d.items; fill(list, d.items); } })
        .catch(function () { /* offline: the page's own list stays */ });
    }, 250);
  });

  var focus = form.getAttribute("data-focus");
  if (focus) {
    var set = form.querySelector('fieldset[data-path="' + focus + '"]');
    var rows = set && set.querySelectorAll(":scope > ol.row-list > li.row");
    var last = rows && rows[rows.length - 1];
    var input = last && last.querySelector("input:not([type=hidden]),select,textarea");
    if (input) input.focus();
  }
})();
