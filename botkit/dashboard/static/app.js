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
  document.addEventListener("htmx:afterSwap", function (event) {
    var bar = event.detail.target;
    if (bar && bar.id === "problem") { bar.hidden = !bar.textContent; }
  });
  // whether the page hears about changes as they happen
  function live(text) {
    var status = document.getElementById("live-status");
    if (status) { status.textContent = text; }
  }
  document.addEventListener("htmx:sseOpen", function () { live("Live"); });
  document.addEventListener("htmx:sseError", function () { live("Reconnecting…"); });
})();

// The web chat: a reply streams into its bubble from the run's events; a posted message
// (a card with buttons) or the end of the run reloads the conversation.
(function () {
  "use strict";
  function reloadLog() {
    var log = document.getElementById("chat-log");
    if (log && window.htmx) {
      window.htmx.ajax("GET", log.getAttribute("hx-get"), { target: "#chat-log", swap: "outerHTML" });
    }
  }
  function follow(bubble) {
    if (bubble.dataset.following) { return; }
    bubble.dataset.following = "1";
    var text = bubble.querySelector(".live-text");
    var tools = bubble.querySelector(".live-tools");
    var source = new EventSource(bubble.dataset.events);
    source.addEventListener("text", function (event) {
      text.textContent += JSON.parse(event.data).delta;  // text, never markup
    });
    source.addEventListener("tool", function (event) {
      var row = document.createElement("p");
      row.className = "tool";
      row.textContent = "tool: " + JSON.parse(event.data).name;
      tools.appendChild(row);
    });
    source.addEventListener("refresh", function () {
      text.textContent = "";
      tools.textContent = "";
      reloadLog();
    });
    function finish() {
      source.close();  // never reconnect: that would replay the run from its start
      var said = text.textContent;
      var announce = document.getElementById("chat-announce");
      if (announce) {  // one announcement per answer, not one per streamed fragment
        announce.textContent = said ? "The bot answered: " + said : "The bot answered.";
      }
      bubble.remove();
      reloadLog();
    }
    source.addEventListener("end", finish);
    source.onerror = finish;
  }
  function start(root) {
    var found = root.querySelectorAll ? root.querySelectorAll(".live[data-events]") : [];
    if (root.matches && root.matches(".live[data-events]")) { follow(root); }
    for (var i = 0; i < found.length; i++) { follow(found[i]); }
  }
  document.addEventListener("htmx:load", function (event) { start(event.detail.elt); });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (event.detail.successful && form.matches && form.matches("form.composer")) { form.reset(); }
  });
})();

// Searching messages costs a platform call per thread: with "in messages" ticked, the list
// searches when the form is submitted (Enter), not on every keystroke nor every live change.
(function () {
  "use strict";
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    var trigger = event.detail.triggeringEvent;
    var filters = document.getElementById("filters");
    var inMessages = filters && filters.querySelector("input[name=in]");
    if (!inMessages || !inMessages.checked || !trigger) { return; }
    var typing = elt === filters && trigger.type === "input";
    var live = elt.id === "threads-table" && String(trigger.type).indexOf("sse:") === 0;
    if (typing || live) { event.preventDefault(); }
  });
})();
