// The inspector's live updates: ask for the sections that changed twice a second and
// swap them in, keeping open details and focus; post the forms without leaving the page.
// Plain JavaScript shipped with the package: the page needs no network beyond its server.
(function () {
  "use strict";
  var body = document.body;
  var version = body.getAttribute("data-version");
  var stateUrl = body.getAttribute("data-state-url");
  var filter = document.getElementById("records-filter");
  var live = document.getElementById("live");
  var busy = false;
  var liveText = "";

  function say(element, text) {
    if (element && element.textContent !== text) element.textContent = text;
  }

  function swap(sections) {
    var open = Array.prototype.map.call(
      document.querySelectorAll("details[open]"), function (d) { return d.id; });
    var focused = document.activeElement && document.activeElement.closest("[data-section]")
      ? document.activeElement.id || null : null;
    Object.keys(sections).forEach(function (name) {
      var target = document.querySelector('[data-section="' + name + '"]');
      if (target) target.innerHTML = sections[name];
    });
    open.forEach(function (id) {
      var details = id && document.getElementById(id);
      if (details) details.open = true;
    });
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
  }

  function poll(force) {
    if (busy) return;
    busy = true;
    var url = stateUrl + "?version=" + encodeURIComponent(force ? "" : version) +
      "&q=" + encodeURIComponent(filter ? filter.value : "");
    fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (response.status === 204) return null;
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (state) {
        if (state) {
          version = String(state.version);
          swap(state.sections);
        }
        if (liveText !== "live") say(live, "Live: updates as requests arrive.");
        liveText = "live";
      })
      .catch(function () {
        if (liveText !== "down") say(live, "The sandbox server is not answering; retrying.");
        liveText = "down";
      })
      .then(function () { busy = false; });
  }

  document.querySelectorAll("form[data-enhance]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var message = document.getElementById("settings-message");
      fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        headers: { Accept: "application/json" }
      })
        .then(function (response) { return response.json(); })
        .then(function (result) { say(message, result.message); poll(true); })
        .catch(function () { say(message, "Not applied: the sandbox server is not answering."); });
    });
  });

  if (filter) {
    var pending = null;
    filter.addEventListener("input", function () {
      clearTimeout(pending);
      pending = setTimeout(function () { poll(true); }, 200);
    });
    document.getElementById("filter-form").addEventListener("submit", function (event) {
      event.preventDefault();
      poll(true);
    });
  }

  setInterval(function () { if (!document.hidden) poll(false); }, 500);
  poll(false);
})();
