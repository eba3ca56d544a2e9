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
  // A text with a limit (data-limit): the counter beside it shows how many characters are typed out of the limit and
  // turns red past it. No maxlength: a browser silently cuts a pasted text at maxlength, and the server's 422 names
  // the limit instead (issue 14, finding 5).
  function countChars(el) {
    var out = document.getElementById(el.getAttribute("data-counter"));
    if (!out) { return; }
    var limit = parseInt(el.getAttribute("data-limit"), 10);
    var n = el.value.length;
    out.textContent = n.toLocaleString("vi-VN") + "/" + limit.toLocaleString("vi-VN") + " ký tự" +
      (n > limit ? " — vượt giới hạn " + (n - limit).toLocaleString("vi-VN") + " ký tự" : "");
    out.classList.toggle("text-danger", n > limit);
    el.setAttribute("aria-invalid", n > limit ? "true" : "false");
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-limit][data-counter]").forEach(function (el) {
      el.addEventListener("input", function () { countChars(el); });
      countChars(el);
    });
    document.querySelectorAll("input[data-subject-toggle]").forEach(function (el) {
      el.addEventListener("change", syncSubject);
    });
    syncSubject();
    document.querySelectorAll("[data-print]").forEach(function (el) {
      el.addEventListener("click", function () { window.print(); });
    });
  });
})();
