// The inspector's live updates. The server pushes "change" (server-sent events); the page
// then asks for its windows (the clients and requests pages it shows, its filters) and
// swaps them in, keeping focus and the request open below. Links to a request fetch it
// when it is not on the page; forms post without leaving the page; new requests are
// announced politely to screen readers. Plain JavaScript shipped with the package: the
// page needs no network beyond its server.
(function () {
  "use strict";
  var body = document.body;
  var prefix = body.getAttribute("data-prefix");
  var version = body.getAttribute("data-version");
  var kept = Number(body.getAttribute("data-kept")) || 0;
  var live = document.getElementById("live");
  var announcer = document.getElementById("announcer");
  var busy = false;
  var again = false;
  var liveText = "";
  var announced = 0;

  function say(element, text) {
    if (element && element.textContent !== text) element.textContent = text;
  }

  function query() {
    // The page's own query (filters, pages, the request open), as the server reads it.
    var params = new URLSearchParams(window.location.search);
    params.delete("version");
    return params;
  }

  function swap(sections) {
    var active = document.activeElement;
    var focused = active && active.closest("[data-section]") && active.id ? active.id : null;
    Object.keys(sections).forEach(function (name) {
      var target = document.querySelector('[data-section="' + name + '"]');
      if (target && target.innerHTML !== sections[name]) target.innerHTML = sections[name];
    });
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
    fillSettings(false);
  }

  function announce(count) {
    var fresh = count - kept;
    kept = count;
    if (fresh <= 0) return;
    announced += fresh;
    // One message at most every two seconds, so a burst is one sentence, not a flood.
    if (announce.pending) return;
    announce.pending = setTimeout(function () {
      say(announcer, announced + (announced === 1 ? " new request." : " new requests."));
      announced = 0;
      announce.pending = null;
    }, 2000);
  }

  function refresh(force) {
    if (busy) { again = true; return; }
    busy = true;
    var params = query();
    params.set("version", force ? "" : version);
    fetch(prefix + "/state?" + params.toString(), {
      headers: { Accept: "application/json" }, cache: "no-store"
    })
      .then(function (response) {
        if (response.status === 204) return null;
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (state) {
        if (state) {
          version = String(state.version);
          swap(state.sections);
          announce(state.kept);
        }
        if (liveText !== "live") say(live, "Live: updates as requests arrive.");
        liveText = "live";
      })
      .catch(function () {
        if (liveText !== "down") say(live, "The sandbox server is not answering; retrying.");
        liveText = "down";
      })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(false); }
      });
  }

  // Push: the server says when something changed; polling only where there is no EventSource.
  if (window.EventSource) {
    var stream = new EventSource(prefix + "/stream");
    stream.addEventListener("change", function (event) {
      if (event.data !== version) refresh(false);
    });
    stream.onerror = function () {
      if (liveText !== "down") say(live, "The sandbox server is not answering; retrying.");
      liveText = "down";
    };
  } else {
    setInterval(function () { if (!document.hidden) refresh(false); }, 1000);
  }
  refresh(false);

  // ------------------------------------------------------------------ request detail

  function openRequest(number, push) {
    var panel = document.getElementById("request-detail");
    var target = document.getElementById("detail-body");
    fetch(prefix + "/request/" + number, { cache: "no-store" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        target.innerHTML = html;
        if (push) {
          var params = query();
          params.set("event", number);
          history.pushState(null, "", "?" + params.toString() + "#request-detail");
        }
        panel.focus();
        panel.scrollIntoView({ block: "start" });
      })
      .catch(function () { say(target, "The sandbox server is not answering."); });
  }

  window.addEventListener("popstate", function () {
    // Back and forward: the request named in the address, and the windows it asks for.
    var number = query().get("event");
    if (number) openRequest(number, false);
    refresh(true);
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-event]");
    if (link && !event.ctrlKey && !event.metaKey && !event.shiftKey && event.button === 0) {
      event.preventDefault();
      openRequest(link.getAttribute("data-event"), true);
      return;
    }
    var copy = event.target.closest && event.target.closest("button[data-copy]");
    if (copy) {
      var text = document.getElementById(copy.getAttribute("data-copy")).textContent;
      var done = function () { say(copy, "Copied"); setTimeout(function () { say(copy, "Copy as curl"); }, 1500); };
      if (navigator.clipboard) navigator.clipboard.writeText(text).then(done, function () {});
    }
  });

  // ------------------------------------------------------------------ forms

  var settingsForm = document.getElementById("settings-form");
  var scope = document.getElementById("scope");
  var dirty = false;

  function fillSettings(always) {
    // The form shows the settings in force for the chosen scope, unless being edited.
    if (!settingsForm || (!always && (dirty || settingsForm.contains(document.activeElement)))) return;
    var row = document.querySelector('tr[data-scope="' + (scope ? scope.value : "") + '"]');
    if (!row) return;
    var current = JSON.parse(row.getAttribute("data-settings"));
    settingsForm.elements.fail_rate.value = current.fail_rate;
    settingsForm.elements.latency_ms.value = current.latency_ms;
    settingsForm.elements.rate_limit.value = current.rate_limit || "";
    settingsForm.elements.faults_on_lookups.checked = current.faults_on_lookups;
    settingsForm.querySelectorAll('input[name="fault_kind"]').forEach(function (box) {
      box.checked = current.fault_kinds.indexOf(box.value) >= 0;
    });
    dirty = false;
  }

  if (settingsForm) {
    settingsForm.addEventListener("input", function (event) {
      if (event.target !== scope) dirty = true;
    });
    scope.addEventListener("change", function () { dirty = false; fillSettings(true); });
    fillSettings(true);
  }

  function post(form, extra) {
    var message = document.getElementById("settings-message");
    var data = new URLSearchParams(new FormData(form));
    Object.keys(extra || {}).forEach(function (key) { data.set(key, extra[key]); });
    fetch(form.action, { method: "POST", body: data, headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (result) { say(message, result.message); dirty = false; refresh(true); })
      .catch(function () { say(message, "Not applied: the sandbox server is not answering."); });
  }

  document.querySelectorAll("form[data-enhance]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!form.hasAttribute("data-confirm")) { post(form); return; }
      var dialog = document.getElementById("confirm-clear");
      if (!dialog || !dialog.showModal) {
        if (window.confirm(form.getAttribute("data-confirm"))) post(form, { confirm: "yes" });
        return;
      }
      dialog.returnValue = "";
      dialog.addEventListener("close", function onClose() {
        dialog.removeEventListener("close", onClose);
        if (dialog.returnValue === "yes") post(form, { confirm: "yes" });
        document.getElementById("clear-all").focus();
      });
      dialog.showModal();
      document.getElementById("confirm-no").focus();
    });
  });

  var filterForm = document.getElementById("filter-form");
  var recordsForm = document.getElementById("records-form");

  function searchWith(form, names) {
    var params = query();
    names.forEach(function (name) {
      var value = form.elements[name].value.trim();
      if (value) params.set(name, value); else params.delete(name);
    });
    params.delete("page");
    params.delete("cpage");
    var search = params.toString();
    history.replaceState(null, "", (search ? "?" + search : window.location.pathname) + window.location.hash);
    refresh(true);
  }

  [[filterForm, ["q", "provider", "status", "outcome"]], [recordsForm, ["rq"]]].forEach(function (pair) {
    var form = pair[0];
    if (!form) return;
    var pending = null;
    form.addEventListener("submit", function (event) { event.preventDefault(); searchWith(form, pair[1]); });
    form.addEventListener("input", function () {
      clearTimeout(pending);
      pending = setTimeout(function () { searchWith(form, pair[1]); }, 250);
    });
  });

  // ------------------------------------------------------------------ keyboard

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#requests tbody tr a.open"));
  }

  document.addEventListener("keydown", function (event) {
    var typing = event.target.closest && event.target.closest("input, select, textarea, dialog");
    if (event.key === "Escape" && typing && event.target.blur) { event.target.blur(); return; }
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    var go = { c: "clients", r: "requests", f: "faults" }[event.key];
    if (event.key === "/") {
      event.preventDefault();
      document.getElementById("q").focus();
    } else if (go) {
      var section = document.getElementById(go);
      section.scrollIntoView({ block: "start" });
      var heading = section.querySelector("h2");
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    } else if (event.key === "j" || event.key === "k") {
      var links = rows();
      if (!links.length) return;
      var at = links.indexOf(document.activeElement);
      var next = event.key === "j" ? Math.min(links.length - 1, at + 1) : Math.max(0, at - 1);
      links[at < 0 ? 0 : next].focus();
    }
  });
})();
