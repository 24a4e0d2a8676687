/* Small behaviours shared by every page, kept out of the templates so the Content-Security-Policy can forbid
   inline scripts and event-handler attributes. Every page works without this file. */
(function () {
  "use strict";

  function cookie(name) {
    var found = document.cookie.split(";").map(function (c) { return c.trim(); })
      .filter(function (c) { return c.indexOf(name + "=") === 0; })[0];
    return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  }

  // htmx: a request that changes something carries the CSRF token (the form's hidden field, else the cookie).
  document.addEventListener("htmx:configRequest", function (event) {
    var verb = (event.detail.verb || "get").toLowerCase();
    if (verb === "get" || verb === "head") return;
    var field = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form");
    var input = (field || document).querySelector("input[name=csrfmiddlewaretoken]");
    var token = input ? input.value : cookie("csrftoken");
    if (token) event.detail.headers["X-CSRFToken"] = token;
  });

  // Print buttons: <button type="button" data-print>.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) { event.preventDefault(); window.print(); }
  });

  // Work inbox: "select all" exists only with JS (hidden otherwise); its change bubbles to the table, so the
  // bulk select narrows as for a tick. The table is replaced by htmx when the filters change.
  function showPickAll() {
    var all = document.getElementById("pick-all");
    if (all) all.hidden = false;
  }
  // Capture phase: the boxes are ticked before the change bubbles to the table's own listeners.
  document.addEventListener("change", function (event) {
    if (!event.target || event.target.id !== "pick-all") return;
    var checked = event.target.checked;
    document.querySelectorAll("#inbox-table .mc-pick").forEach(function (c) { c.checked = checked; });
  }, true);
  document.addEventListener("DOMContentLoaded", showPickAll);
  document.addEventListener("htmx:afterSettle", showPickAll);
})();
