// The activation-letter job page: poll the job's JSON every 2 s until it is done or
// failed, updating the bar, the counts and the list of building files in place.
(function () {
  "use strict";
  var box = document.getElementById("letter-job");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  function text(id, value) {
    var el = document.getElementById(id);
    if (el) el.textContent = value;
  }
  function show(state) {
    document.getElementById("letter-bar").style.width = state.progress + "%";
    text("letter-status", state.status_label);
    text("letter-done", state.done);
    text("letter-total", state.total);
    var lines = document.getElementById("letter-lines");
    lines.textContent = "";
    state.lines.forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      lines.appendChild(li);
    });
    if (state.files.length) {
      var files = document.getElementById("letter-files");
      files.textContent = "";
      state.files.forEach(function (f) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = f.url;
        a.textContent = f.label;
        li.appendChild(a);
        files.appendChild(li);
      });
    }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) {
        if (!state) return;
        show(state);
        if (state.status === "queued" || state.status === "running") {
          setTimeout(poll, 2000);
        } else {
          box.querySelector(".bar").classList.toggle("ok", state.status === "done");
          var form = box.querySelector("form");
          if (form && state.status === "done") form.remove();
        }
      });
  }
  setTimeout(poll, 1000);
})();
