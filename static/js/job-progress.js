// A job's progress bar (templates/jobs/_progress.html): asks the status URL every few seconds and moves
// the bar; when the job ends (or stops reporting) the page reloads to show the result or the failure.
// Pages without scripts refresh themselves (<noscript> meta refresh) and offer a refresh link.
(function () {
  "use strict";
  var box = document.querySelector("[data-job-status]");
  if (!box || !window.fetch) { return; }
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-job-text]");
  var every = parseInt(box.getAttribute("data-poll"), 10) || 1000;
  var failures = 0;

  function show(status) {
    if (status.total) {
      bar.max = status.total;
      bar.value = status.done;
    } else if (status.status !== "running") {
      bar.removeAttribute("value");
    }
    text.textContent = status.text;
  }

  function poll() {
    fetch(box.getAttribute("data-job-status"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (status) {
        failures = 0;
        show(status);
        if (status.finished || status.stalled) {
          window.location.reload();
          return;
        }
        window.setTimeout(poll, every);
      })
      .catch(function () {
        // A deploy or a dropped connection: keep asking, more slowly.
        failures += 1;
        window.setTimeout(poll, Math.min(every * Math.pow(2, failures), 30000));
      });
  }

  var link = box.querySelector("[data-job-refresh]");
  if (link) { link.hidden = true; }
  window.setTimeout(poll, every);
})();
