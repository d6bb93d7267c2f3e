// Live inbox: asks for the first page's rows and the unacknowledged count every few seconds
// and puts them in place. Without this script the page works the same, with a Refresh link.
"use strict";
(function () {
  document.documentElement.classList.add("js");
  var table = document.getElementById("alerts");
  if (!table || !table.dataset.updates) { return; }
  var rows = document.getElementById("alert-rows");
  var count = document.getElementById("unacknowledged");
  var every = parseInt(table.dataset.pollMs, 10) || 5000;
  var shown = null;  // the rows last put in place: unchanged rows are left alone

  function refresh() {
    fetch(table.dataset.updates, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        // The session ended: the server sent us to the sign-in page.
        if (response.redirected) { window.location.assign(response.url); return null; }
        return response.ok ? response.json() : null;
      })
      .then(function (update) {
        if (!update) { return; }
        // Never pull a row from under the keyboard focus.
        if (update.rows !== shown && !rows.contains(document.activeElement)) {
          rows.innerHTML = update.rows;
          shown = update.rows;
        }
        if (count.textContent !== String(update.unacknowledged)) {
          count.textContent = String(update.unacknowledged);
        }
      })
      .catch(function () { /* offline for a moment: the next round tries again */ })
      .finally(function () { window.setTimeout(refresh, every); });
  }
  window.setTimeout(refresh, every);
})();
