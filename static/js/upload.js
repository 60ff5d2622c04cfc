// Uploading images and attachments from the post forms: a button beside
// every textarea named body opens a file picker, and files dropped on the
// text or pasted into it are uploaded too (POST /api/v1/uploads, the
// member's session). Each upload inserts its Markdown (![name](/uploads/…)
// for an image, a link for an attachment) where the cursor was. Without
// JavaScript the form's own file input (.upload-field) sends the file with
// the post; with it, that input is the button's picker, hidden. The labels
// come from this script's data attributes.
(function () {
  "use strict";

  var script = document.currentScript;
  var label = function (name) { return script.getAttribute("data-upload-" + name) || ""; };

  function enhance(textarea) {
    var form = textarea.form;
    var submit = form && form.querySelector('button[type="submit"]');
    if (!submit) return;

    // The form's own file input (for pages without JavaScript) becomes
    // the button's picker: its files are uploaded at once, and it is
    // emptied so that nothing is sent twice. Its field is hidden behind the
    // button, unless it shows why a file was refused.
    var plain = form.querySelector('.upload-field input[type="file"]');
    var picker = plain || document.createElement("input");
    if (plain) {
      var field0 = plain.closest(".upload-field");
      if (field0 && !field0.classList.contains("has-error")) field0.hidden = true;
    } else {
      picker.type = "file";
      picker.hidden = true;
    }
    picker.multiple = true;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary upload-button";
    button.textContent = label("attach");
    button.title = label("hint");
    // After the form's other buttons (the preview's).
    submit.parentNode.appendChild(document.createTextNode(" "));
    submit.parentNode.appendChild(button);
    if (!plain) submit.parentNode.appendChild(picker);

    var status = document.createElement("p");
    status.className = "upload-status";
    status.setAttribute("role", "status");
    status.hidden = true;
    var field = textarea.closest(".field") || textarea;
    field.appendChild(status);

    function say(message, isError) {
      status.hidden = !message;
      status.textContent = message || "";
      status.className = "upload-status" + (isError ? " field-error" : "");
    }

    // insert puts text at the cursor, on lines of its own.
    function insert(text) {
      var start = textarea.selectionStart, end = textarea.selectionEnd, v = textarea.value;
      if (start == null) start = end = v.length;
      var before = v.slice(0, start), after = v.slice(end);
      if (before && !/\n$/.test(before)) text = "\n" + text;
      if (after && !/^\n/.test(after)) text = text + "\n";
      textarea.value = before + text + after;
      var at = (before + text).length;
      textarea.setSelectionRange(at, at);
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }

    var queue = Promise.resolve();

    function upload(file) {
      var data = new FormData();
      data.append("file", file, file.name || "image.png");
      say(label("uploading").replace("{name}", file.name || ""), false);
      return fetch("/api/v1/uploads", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Accept": "application/json" },
        body: data
      }).then(function (r) {
        return r.json().then(function (answer) {
          if (r.ok) {
            insert(answer.markdown);
            say("", false);
          } else {
            say((answer.error && answer.error.message) || label("failed"), true);
          }
        });
      }).catch(function () {
        say(label("failed"), true);
      });
    }

    // Files go one after the other, in the order given.
    function uploadAll(files) {
      Array.prototype.forEach.call(files, function (f) {
        queue = queue.then(function () { return upload(f); });
      });
      textarea.focus();
    }

    button.addEventListener("click", function () { picker.click(); });
    picker.addEventListener("change", function () {
      uploadAll(picker.files);
      picker.value = "";
    });
    textarea.addEventListener("dragover", function (e) {
      if (e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, "Files") >= 0) {
        e.preventDefault();
        textarea.classList.add("dropping");
      }
    });
    textarea.addEventListener("dragleave", function () { textarea.classList.remove("dropping"); });
    textarea.addEventListener("drop", function (e) {
      textarea.classList.remove("dropping");
      if (e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files.length) {
        e.preventDefault();
        uploadAll(e.dataTransfer.files);
      }
    });
    textarea.addEventListener("paste", function (e) {
      var files = e.clipboardData && e.clipboardData.files;
      if (files && files.length) {
        e.preventDefault();
        uploadAll(files);
      }
    });
  }

  document.querySelectorAll('form textarea[name="body"]').forEach(enhance);
})();
