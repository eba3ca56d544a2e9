/* Progressive enhancement only: every page works without it. */
(function () {
  "use strict";
  // Registration form: show the unit select for a collective and the person select for an individual.
  function syncSubject() {
    var checked = document.querySelector("input[data-subject-toggle]:checked");
    document.querySelectorAll("[data-subject]").forEach(function (el) {
      el.hidden = checked ? el.getAttribute("data-subject") !== checked.value : false;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-subject-toggle]").forEach(function (el) {
      el.addEventListener("change", syncSubject);
    });
    syncSubject();
    document.querySelectorAll("[data-print]").forEach(function (el) {
      el.addEventListener("click", function () { window.print(); });
    });
  });
})();
