/* The story form's rich-text editor: Quill (web/static/vendor, served by the project) over the body's textarea.
   Progressive only: without JavaScript, without Quill, or for a body Quill cannot hold (tables), the form is the
   plain HTML textarea. The editor offers only what the server's allowlist keeps (headings h2–h4, bold, italic,
   underline, lists, quotes, links), and the server sanitises whatever arrives anyway and says what it removed. */
(function () {
  "use strict";
  var FORMATS = ["header", "bold", "italic", "underline", "link", "blockquote", "list"];
  var TOOLBAR = [
    [{ header: [2, 3, 4, false] }],
    ["bold", "italic", "underline"],
    [{ list: "ordered" }, { list: "bullet" }],
    ["blockquote", "link"],
    ["clean"]
  ];
  var BUTTON_LABELS = {
    "ql-bold": "In đậm", "ql-italic": "In nghiêng", "ql-underline": "Gạch chân", "ql-blockquote": "Trích dẫn",
    "ql-link": "Chèn liên kết", "ql-clean": "Xóa định dạng"
  };
  var LIST_LABELS = { ordered: "Danh sách đánh số", bullet: "Danh sách gạch đầu dòng" };

  // Quill 2.0.3's semantic HTML writes every space as &nbsp; (lines would never wrap) and gives links
  // target="_blank", which the allowlist drops: both are undone here so the server has nothing to report.
  function semanticHtml(quill) {
    if (quill.getLength() <= 1) { return ""; }
    var tpl = document.createElement("template");
    tpl.innerHTML = quill.getSemanticHTML().replace(/&nbsp;/g, " ");
    tpl.content.querySelectorAll("a[target]").forEach(function (a) { a.removeAttribute("target"); });
    return tpl.innerHTML;
  }

  function labelToolbar(toolbar) {
    toolbar.querySelectorAll("button").forEach(function (button) {
      var name = Object.keys(BUTTON_LABELS).find(function (cls) { return button.classList.contains(cls); });
      var label = name ? BUTTON_LABELS[name] : LIST_LABELS[button.value];
      if (label) { button.setAttribute("aria-label", label); button.title = label; }
    });
    toolbar.querySelectorAll(".ql-header .ql-picker-label").forEach(function (el) {
      el.setAttribute("aria-label", "Kiểu đoạn (tiêu đề)");
    });
  }

  function enhance(textarea) {
    if (!window.Quill || !textarea.form) { return; }
    if (/<table[\s>]/i.test(textarea.value)) {
      var note = textarea.form.querySelector("[data-editor-fallback]");
      if (note) { note.hidden = false; }
      return;
    }
    var holder = document.createElement("div");
    holder.className = "story-editor";
    textarea.insertAdjacentElement("afterend", holder);
    var quill = new window.Quill(holder, {
      theme: "snow", formats: FORMATS, modules: { toolbar: TOOLBAR },
      placeholder: "Nội dung bài viết…"
    });
    quill.setContents(quill.clipboard.convert({ html: textarea.value }), "silent");
    textarea.hidden = true;
    holder.classList.toggle("is-invalid", textarea.classList.contains("is-invalid"));

    var label = textarea.form.querySelector('label[for="' + textarea.id + '"]');
    if (label) {
      label.id = label.id || textarea.id + "-label";
      quill.root.setAttribute("aria-labelledby", label.id);
      label.addEventListener("click", function () { quill.focus(); });
    }
    quill.root.setAttribute("role", "textbox");
    quill.root.setAttribute("aria-multiline", "true");
    var described = textarea.getAttribute("aria-describedby");
    if (described) { quill.root.setAttribute("aria-describedby", described); }
    var toolbar = quill.getModule("toolbar");
    if (toolbar && toolbar.container) { labelToolbar(toolbar.container); }
    var linkBox = holder.parentNode.querySelector(".ql-tooltip input[type=text]");
    if (linkBox) {
      linkBox.setAttribute("data-link", "https://");
      linkBox.setAttribute("aria-label", "Địa chỉ liên kết");
    }

    textarea.form.addEventListener("submit", function () { textarea.value = semanticHtml(quill); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-rich-editor]").forEach(enhance);
  });
})();
