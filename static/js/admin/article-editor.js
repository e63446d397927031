// Live preview for the article editor. Without this script the "Preview" button
// re-renders the page on the server; with it, the same server-rendered preview
// follows the body as the editor types. Shortcodes get a "Copy" button too.
(function () {
  "use strict";
  var form = document.querySelector("[data-article-editor]");
  if (!form || !window.fetch) return;
  var body = form.querySelector("textarea[name='body']");
  var target = document.querySelector("[data-preview]");
  var token = document.querySelector("meta[name='csrf-token']");
  if (!body || !target || !token) return;
  var timer = null;
  var latest = 0;

  function refresh() {
    var ticket = ++latest;
    var data = new URLSearchParams();
    data.append("body", body.value);
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token.content },
      body: data
    })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        // The fragment is rendered and sanitised by the server.
        if (html !== null && ticket === latest) target.innerHTML = html;
      })
      .catch(function () { /* the Preview button still works */ });
  }

  body.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
  refresh();

  if (navigator.clipboard) {
    document.querySelectorAll("[data-snippet]").forEach(function (code) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button-link";
      button.textContent = "Copy";
      button.setAttribute("aria-label", "Copy " + code.textContent);
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(code.textContent).then(function () {
          button.textContent = "Copied";
        });
      });
      code.after(" ", button);
    });
  }
})();
