// Follows a background run on the network pages: polls the run's JSON (the engine's record of the run) and
// updates the bar; without JavaScript the page refreshes itself (meta refresh in <noscript>).
(function () {
  "use strict";
  var box = document.getElementById("run");
  if (!box) { return; }
  var url = box.getAttribute("data-progress-url");
  var bar = document.getElementById("run-bar");
  var text = document.getElementById("run-text");

  function show(run) {
    bar.value = run.percent;
    bar.textContent = run.percent + "%";
    if (run.finished) {
      // The finished page says what happened (or what failed and how to retry): load it once.
      window.location.reload();
      return;
    }
    if (run.status === "running" && run.total) {
      text.textContent = (box.getAttribute("data-step-label") || "Stap") + " " + run.done + " " +
        (box.getAttribute("data-of-label") || "van") + " " + run.total;
    }
    window.setTimeout(poll, 1000);
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(show)
      .catch(function () { window.setTimeout(poll, 3000); });
  }

  window.setTimeout(poll, 1000);
}());
