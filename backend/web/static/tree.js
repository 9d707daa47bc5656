// The lazy tree: a toggle opens or closes a node's team; the first opening asks htmx for the
// children (the button's "expand" event), later ones only show or hide them. "Show the next"
// replaces itself with the next page and moves focus to the first person it brought.
(function () {
  "use strict";
  var pendingMore = null;

  function errorText(from) {
    var tree = from.closest("[data-error-text]");
    return tree ? tree.getAttribute("data-error-text") : "";
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.toggle");
    if (button) {
      var kids = document.getElementById(button.getAttribute("aria-controls"));
      if (!kids) return;
      if (button.getAttribute("aria-expanded") === "true") {
        button.setAttribute("aria-expanded", "false");
        kids.hidden = true;
        return;
      }
      button.setAttribute("aria-expanded", "true");
      kids.hidden = false;
      if (button.getAttribute("data-loaded") !== "true") {
        button.setAttribute("data-loaded", "true");
        kids.setAttribute("aria-busy", "true");
        window.htmx.trigger(button, "expand");
      }
      return;
    }
    var more = event.target.closest("li.more a");
    if (more) {
      var item = more.closest("li");
      pendingMore = { list: item.parentElement, before: item.previousElementSibling };
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (target && target.classList && target.classList.contains("kids")) {
      target.removeAttribute("aria-busy");
    }
    if (pendingMore) {
      var start = pendingMore.before
        ? pendingMore.before.nextElementSibling
        : pendingMore.list.firstElementChild;
      pendingMore = null;
      var link = start && start.querySelector(".who a, a");
      if (link) link.focus();
    }
  });

  function failed(event) {
    var source = event.detail.elt;
    if (source && source.classList.contains("toggle")) {
      source.setAttribute("data-loaded", "false");
      var kids = document.getElementById(source.getAttribute("aria-controls"));
      if (kids) {
        kids.removeAttribute("aria-busy");
        var note = document.createElement("li");
        note.className = "error";
        note.setAttribute("role", "alert");
        note.textContent = errorText(source);
        kids.replaceChildren(note);
      }
    }
    pendingMore = null;
  }
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);

  // After a search, the match is in view and has the focus.
  document.addEventListener("DOMContentLoaded", function () {
    var match = document.querySelector(".node.match .who a");
    if (match) {
      match.focus();
      match.scrollIntoView({ block: "center" });
    }
  });
})();
