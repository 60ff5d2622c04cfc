// Preview of a post before sending it: a "Preview" button beside every
// textarea named body shows the text as it will be published (the server
// renders and sanitizes it exactly as publishing does, POST /api/v1/preview,
// and stores nothing). Without JavaScript there is no button and the forms
// work as before. The labels come from this script's data attributes.
// Ctrl+Enter in the text sends the form.
(function () {
  "use strict";

  var script = document.currentScript;
  var label = function (name) { return script.getAttribute("data-preview" + (name ? "-" + name : "")) || ""; };

  function enhance(textarea) {
    var form = textarea.form;
    var submit = form && form.querySelector('button[type="submit"]');
    if (!submit) return;

    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary preview-button";
    button.textContent = label();
    submit.parentNode.insertBefore(button, submit.nextSibling);
    submit.parentNode.insertBefore(document.createTextNode(" "), button);

    var region = document.createElement("section");
    region.className = "preview";
    region.hidden = true;
    region.setAttribute("aria-live", "polite");
    region.setAttribute("aria-label", label("title"));
    // A heading: what the preview shows (a post's headings are h3) sits
    // below it, without skipping a level.
    var heading = document.createElement("h2");
    heading.className = "preview-title";
    heading.textContent = label("title");
    var body = document.createElement("div");
    body.className = "post-body preview-body";
    region.appendChild(heading);
    region.appendChild(body);
    var field = textarea.closest(".field") || textarea;
    field.parentNode.insertBefore(region, field.nextSibling);

    var pending = null, timer = 0;

    function show(html, message) {
      region.hidden = false;
      body.innerHTML = "";
      if (message) {
        var p = document.createElement("p");
        p.className = "notice error";
        p.textContent = message;
        body.appendChild(p);
      } else {
        // Sanitized by the server's pipeline; the page's CSP runs no
        // inline script even if something slipped through.
        body.innerHTML = html;
      }
    }

    function preview() {
      var text = textarea.value;
      if (!text.trim()) {
        show("", label("empty"));
        return Promise.resolve();
      }
      if (pending) pending.abort();
      var ctrl = new AbortController();
      pending = ctrl;
      region.setAttribute("aria-busy", "true");
      return fetch("/api/v1/preview", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify({ body: text }),
        signal: ctrl.signal
      }).then(function (r) {
        return r.json().then(function (data) {
          if (r.ok) show(data.html, "");
          else show("", (data.error && data.error.message) || label("failed"));
        });
      }).catch(function (err) {
        if (err && err.name === "AbortError") return;
        show("", label("failed"));
      }).then(function () {
        if (pending === ctrl) {
          pending = null;
          region.removeAttribute("aria-busy");
        }
      });
    }

    button.addEventListener("click", function () { preview(); });
    // Once shown, the preview follows the text, a moment after typing stops.
    textarea.addEventListener("input", function () {
      if (region.hidden) return;
      clearTimeout(timer);
      timer = setTimeout(preview, 700);
    });
    textarea.palabrePreview = preview;
    // Ctrl+Enter (⌘+Enter on a Mac) sends the form, as its button would:
    // the browser checks the fields and the form's own handlers run.
    textarea.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !e.isComposing) {
        e.preventDefault();
        if (form.requestSubmit) {
          form.requestSubmit(submit);
        } else {
          submit.click();
        }
      }
    });
  }

  document.querySelectorAll('form textarea[name="body"]').forEach(enhance);
})();
