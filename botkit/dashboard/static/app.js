// The dashboard's only script of its own: show failed requests in the alert bar.
(function () {
  "use strict";
  function problem(text) {
    var bar = document.getElementById("problem");
    if (!bar) { return; }
    bar.textContent = text;
    bar.hidden = !text;
  }
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    problem(xhr.status === 404 ? "Not found (it may have been deleted)."
      : "The server answered " + xhr.status + ": " + (xhr.responseText || "").slice(0, 200));
  });
  document.addEventListener("htmx:sendError", function () {
    problem("The bot is not reachable. It may have stopped; retrying…");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) { problem(""); }
  });
})();
