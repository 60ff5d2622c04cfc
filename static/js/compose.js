// The composer: what JavaScript adds to every textarea named body of a post
// form. Without JavaScript the forms are plain HTML and work as they are.
//
//   - a toolbar (bold, italic, link, quote, code, list, image) that writes
//     Markdown around the selection; Ctrl+B, Ctrl+I and Ctrl+K too;
//   - a live preview beside the text on wide screens (below it, on request,
//     on narrow ones), rendered and sanitized by the server exactly as
//     publishing does (POST /api/v1/preview, nothing stored);
//   - @-mention completion: the members who wrote in the thread first
//     (GET /api/v1/mentions);
//   - drafts kept on the server as the member types (PUT
//     /api/v1/threads/{id}/draft, /api/v1/drafts/new), brought back on any
//     device; storing the post uses the draft up (the server does it);
//   - Ctrl+Enter (⌘+Enter) sends the form.
//
// The labels come from this script's data-labels attribute (JSON, written by
// server/compose_labels.go).
(function () {
  "use strict";

  var script = document.currentScript;
  var labels = {};
  try { labels = JSON.parse(script.getAttribute("data-labels") || "{}"); } catch (e) { labels = {}; }
  var label = function (name) { return labels[name] || ""; };
  var wide = window.matchMedia ? window.matchMedia("(min-width: 60rem)") : { matches: true };
  var serial = 0;

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text) n.textContent = text;
    return n;
  }

  // Icons of the toolbar: drawn with paths, 20×20, currentColor.
  var icons = {
    bold: "M6 4h5a3.5 3.5 0 0 1 0 7H6zM6 11h6a3.5 3.5 0 0 1 0 7H6z",
    italic: "M9 4h7M4 16h7M12.5 4l-5 12",
    link: "M8.5 11.5a3.5 3.5 0 0 0 5 0l3-3a3.5 3.5 0 0 0-5-5l-1 1M11.5 8.5a3.5 3.5 0 0 0-5 0l-3 3a3.5 3.5 0 0 0 5 5l1-1",
    quote: "M4 9h4v5H4zM4 9c0-3 1-4 3-5M12 9h4v5h-4zM12 9c0-3 1-4 3-5",
    code: "M7 6l-4 4 4 4M13 6l4 4-4 4",
    list: "M8 5h9M8 10h9M8 15h9M3.5 5h.01M3.5 10h.01M3.5 15h.01",
    image: "M3 4h14v12H3zM3 13l4-4 4 4 2-2 4 4M13 8h.01"
  };

  function icon(name) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 20 20");
    svg.setAttribute("width", "20");
    svg.setAttribute("height", "20");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", icons[name]);
    svg.appendChild(path);
    return svg;
  }

  // replaceRange puts text in place of the textarea's [start, end) and
  // selects [selStart, selEnd) of the result. execCommand keeps the
  // browser's undo history; setRangeText is the fallback.
  function replaceRange(textarea, start, end, text, selStart, selEnd) {
    textarea.focus();
    textarea.setSelectionRange(start, end);
    var done = false;
    try { done = document.execCommand("insertText", false, text); } catch (e) { done = false; }
    if (!done || textarea.value.slice(start, start + text.length) !== text) {
      textarea.setRangeText(text, start, end, "end");
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }
    textarea.setSelectionRange(selStart, selEnd);
  }

  // The toolbar's actions: each writes Markdown around the selection, or
  // around a sample text it selects so that typing replaces it.
  function wrapInline(textarea, before, after, sample) {
    var s = textarea.selectionStart, e = textarea.selectionEnd;
    var sel = textarea.value.slice(s, e) || sample;
    replaceRange(textarea, s, e, before + sel + after, s + before.length, s + before.length + sel.length);
  }

  // prefixLines makes the selected lines a block (a quote, a list); with
  // nothing selected, it starts a new block at the caret with a sample to
  // type over.
  function prefixLines(textarea, prefix, sample) {
    var v = textarea.value, s = textarea.selectionStart, e = textarea.selectionEnd;
    if (s === e) {
      var before = v.slice(0, s);
      var lead = before === "" || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
      replaceRange(textarea, s, e, lead + prefix + sample, s + lead.length + prefix.length, s + lead.length + prefix.length + sample.length);
      return;
    }
    var lineStart = v.lastIndexOf("\n", s - 1) + 1;
    var out = v.slice(lineStart, e).split("\n").map(function (line) { return prefix + line; }).join("\n");
    // A block starts on a line of its own, after an empty line.
    var gap = lineStart > 0 && v.slice(Math.max(0, lineStart - 2), lineStart) !== "\n\n" ? "\n" : "";
    replaceRange(textarea, lineStart, e, gap + out, lineStart + gap, lineStart + gap + out.length);
  }

  function linkAction(textarea, image) {
    var s = textarea.selectionStart, e = textarea.selectionEnd;
    var sel = textarea.value.slice(s, e) || label(image ? "image_sample" : "link_sample");
    var url = "https://";
    if (/^https?:\/\/\S+$/.test(sel)) {
      url = sel;
      sel = label(image ? "image_sample" : "link_sample");
    }
    var text = (image ? "!" : "") + "[" + sel + "](" + url + ")";
    var urlStart = s + text.length - 1 - url.length;
    // The address is selected to be typed over; a given one, the text.
    if (url === "https://") replaceRange(textarea, s, e, text, urlStart, urlStart + url.length);
    else replaceRange(textarea, s, e, text, s + (image ? 2 : 1), s + (image ? 2 : 1) + sel.length);
  }

  function codeAction(textarea) {
    var s = textarea.selectionStart, e = textarea.selectionEnd;
    var sel = textarea.value.slice(s, e);
    if (sel.indexOf("\n") < 0) {
      wrapInline(textarea, "`", "`", label("code_sample"));
      return;
    }
    var v = textarea.value;
    var lead = s > 0 && v[s - 1] !== "\n" ? "\n" : "";
    var text = lead + "```\n" + sel.replace(/\n$/, "") + "\n```\n";
    replaceRange(textarea, s, e, text, s + lead + 4, s + lead + 4 + sel.replace(/\n$/, "").length);
  }

  var actions = [
    ["bold", function (t) { wrapInline(t, "**", "**", label("bold_sample")); }, "b"],
    ["italic", function (t) { wrapInline(t, "*", "*", label("italic_sample")); }, "i"],
    ["link", function (t) { linkAction(t, false); }, "k"],
    ["quote", function (t) { prefixLines(t, "> ", label("quote")); }, ""],
    ["code", codeAction, ""],
    ["list", function (t) { prefixLines(t, "- ", label("list_sample")); }, ""],
    ["image", function (t) { linkAction(t, true); }, ""]
  ];

  // toolbar builds the formatting toolbar: one tab stop, arrows move
  // between its buttons (the ARIA toolbar pattern).
  function toolbar(textarea) {
    var bar = el("div", "composer-toolbar");
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", label("toolbar"));
    bar.setAttribute("aria-controls", textarea.id);
    var buttons = actions.map(function (a, i) {
      var b = el("button", "composer-tool");
      b.type = "button";
      b.setAttribute("aria-label", label(a[0]));
      b.title = label(a[0]) + (a[2] ? " (Ctrl+" + a[2].toUpperCase() + ")" : "");
      b.tabIndex = i === 0 ? 0 : -1;
      b.appendChild(icon(a[0]));
      b.addEventListener("click", function () { a[1](textarea); });
      bar.appendChild(b);
      return b;
    });
    bar.addEventListener("keydown", function (e) {
      var i = buttons.indexOf(document.activeElement);
      if (i < 0) return;
      var next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: buttons.length - 1 }[e.key];
      if (next === undefined) return;
      e.preventDefault();
      next = (next + buttons.length) % buttons.length;
      buttons[i].tabIndex = -1;
      buttons[next].tabIndex = 0;
      buttons[next].focus();
    });
    textarea.addEventListener("keydown", function (e) {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey) return;
      for (var k = 0; k < actions.length; k++) {
        if (actions[k][2] && e.key.toLowerCase() === actions[k][2]) {
          e.preventDefault();
          actions[k][1](textarea);
          return;
        }
      }
    });
    return bar;
  }

  // preview builds the live preview and its Show/Hide button.
  function livePreview(textarea, composer, submit) {
    var button = el("button", "secondary preview-button");
    button.type = "button";
    var region = el("section", "preview");
    region.id = textarea.id + "-preview";
    region.setAttribute("aria-label", label("preview_title"));
    // A heading: what the preview shows (a post's headings are h3) sits
    // below it, without skipping a level.
    region.appendChild(el("h2", "preview-title", label("preview_title")));
    var body = el("div", "post-body preview-body");
    region.appendChild(body);
    composer.appendChild(region);
    button.setAttribute("aria-controls", region.id);
    submit.parentNode.insertBefore(button, submit.nextSibling);
    submit.parentNode.insertBefore(document.createTextNode(" "), button);

    var pending = null, timer = 0, shown = "";

    function show(html, message, isError) {
      body.innerHTML = "";
      if (message) {
        var p = el("p", isError ? "notice error" : "empty", message);
        body.appendChild(p);
      } else {
        // Sanitized by the server's pipeline; the page's CSP runs no
        // inline script even if something slipped through.
        body.innerHTML = html;
      }
    }

    function refresh() {
      var text = textarea.value;
      if (text === shown && body.childNodes.length) return Promise.resolve();
      shown = text;
      if (!text.trim()) {
        show("", label("preview_empty"), false);
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
          else show("", (data.error && data.error.message) || label("preview_failed"), true);
        });
      }).catch(function (err) {
        if (err && err.name === "AbortError") return;
        shown = "";
        show("", label("preview_failed"), true);
      }).then(function () {
        if (pending === ctrl) {
          pending = null;
          region.removeAttribute("aria-busy");
        }
      });
    }

    function setOpen(open) {
      region.hidden = !open;
      composer.classList.toggle("with-preview", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
      button.textContent = label(open ? "preview_hide" : "preview_show");
      if (open) refresh();
    }

    button.addEventListener("click", function () { setOpen(region.hidden); });
    // The preview follows the text, a moment after typing stops.
    textarea.addEventListener("input", function () {
      if (region.hidden) return;
      clearTimeout(timer);
      timer = setTimeout(refresh, 500);
    });
    setOpen(wide.matches);
    textarea.palabrePreview = function () { setOpen(true); return refresh(); };
  }

  // mentions offers the members to complete "@…" with, in a list under
  // the text (the ARIA listbox pattern: the text keeps the focus).
  function mentions(textarea, threadID) {
    var list = el("ul", "mention-list");
    list.id = textarea.id + "-mentions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", label("mentions"));
    list.hidden = true;
    textarea.parentNode.insertBefore(list, textarea.nextSibling);
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", list.id);

    var items = [], active = -1, token = null, pending = null, timer = 0;

    function close() {
      list.hidden = true;
      list.innerHTML = "";
      items = [];
      active = -1;
      textarea.removeAttribute("aria-activedescendant");
    }

    function highlight(i) {
      if (!items.length) return;
      active = (i + items.length) % items.length;
      items.forEach(function (it, k) { it.node.setAttribute("aria-selected", k === active ? "true" : "false"); });
      textarea.setAttribute("aria-activedescendant", items[active].node.id);
    }

    function choose(i) {
      if (!token || !items[i]) return;
      var name = items[i].username;
      var t = token;
      close();
      token = null;
      replaceRange(textarea, t.start, t.end, "@" + name + " ", t.start + name.length + 2, t.start + name.length + 2);
    }

    // current finds the "@…" the caret is at the end of.
    function current() {
      var end = textarea.selectionStart;
      if (end !== textarea.selectionEnd) return null;
      var m = /(^|[\s(>])@([^\s@()\[\]<>,;:!?"'`*]{0,30})$/.exec(textarea.value.slice(Math.max(0, end - 40), end));
      if (!m) return null;
      return { start: end - m[2].length - 1, end: end, prefix: m[2] };
    }

    function lookup() {
      token = current();
      if (!token) { close(); return; }
      if (pending) pending.abort();
      var ctrl = new AbortController();
      pending = ctrl;
      var q = "/api/v1/mentions?q=" + encodeURIComponent(token.prefix) + (threadID ? "&thread=" + threadID : "");
      fetch(q, { credentials: "same-origin", headers: { "Accept": "application/json" }, signal: ctrl.signal })
        .then(function (r) { return r.ok ? r.json() : { members: [] }; })
        .then(function (data) {
          if (pending !== ctrl) return;
          pending = null;
          close();
          var members = data.members || [];
          if (!members.length || !current()) return;
          members.forEach(function (m, i) {
            var li = el("li", "mention-option");
            li.id = list.id + "-" + i;
            li.setAttribute("role", "option");
            li.appendChild(el("span", "mention-username", "@" + m.username));
            if (m.display_name && m.display_name !== m.username) li.appendChild(el("span", "mention-name", m.display_name));
            if (m.in_thread) li.appendChild(el("span", "mention-in-thread", label("mention_in_thread")));
            // mousedown, not click: the text keeps the focus and the caret.
            li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
            list.appendChild(li);
            items.push({ username: m.username, node: li });
          });
          list.hidden = false;
          highlight(0);
        })
        .catch(function () { /* no list: the member types the name */ });
    }

    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookup, 150);
    });
    textarea.addEventListener("keydown", function (e) {
      if (list.hidden || e.isComposing) return;
      switch (e.key) {
        case "ArrowDown": e.preventDefault(); highlight(active + 1); break;
        case "ArrowUp": e.preventDefault(); highlight(active - 1); break;
        case "Enter":
        case "Tab":
          if (e.ctrlKey || e.metaKey) return;
          e.preventDefault();
          choose(active);
          break;
        case "Escape": e.preventDefault(); close(); break;
      }
    });
    textarea.addEventListener("blur", function () { setTimeout(close, 0); });
    textarea.addEventListener("click", function () { if (!list.hidden && !current()) close(); });
  }

  // drafts keeps what is typed on the server, and brings it back.
  function drafts(form, textarea, url, field) {
    var title = form.querySelector('[name="title"]');
    var category = form.querySelector('[name="category_id"]');
    var status = el("p", "hint composer-status");
    var message = el("span", "");
    status.appendChild(message);
    var discard = el("button", "link composer-discard", label("draft_discard"));
    discard.type = "button";
    discard.hidden = true;
    status.appendChild(document.createTextNode(" "));
    status.appendChild(discard);
    // Failures and restorations are announced; routine saves are not.
    var alert = el("p", "visually-hidden");
    alert.setAttribute("role", "status");
    field.appendChild(status);
    field.appendChild(alert);

    var timer = 0, saving = null, sending = false, last = snapshot();
    // The status line shows only when it has something to say.
    function tell(text, canDiscard) {
      message.textContent = text;
      discard.hidden = !canDiscard;
      status.hidden = !text && !canDiscard;
    }
    status.hidden = true;

    function snapshot() {
      return JSON.stringify({
        body: textarea.value,
        title: title ? title.value : "",
        category_id: category && category.value ? Number(category.value) : null
      });
    }

    function request(method, body) {
      return fetch(url, {
        method: method,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: body
      });
    }

    function save() {
      timer = 0;
      var now = snapshot();
      if (now === last || sending) return saving || Promise.resolve();
      tell(label("draft_saving"), !discard.hidden);
      var p = request("PUT", now).then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        last = now;
        var kept = !!(textarea.value.trim() || (title && title.value.trim()));
        tell(kept ? label("draft_saved") : "", kept);
      }).catch(function () {
        tell("", !discard.hidden);
        alert.textContent = label("draft_failed");
      }).then(function () {
        if (saving === p) saving = null;
      });
      saving = p;
      return p;
    }

    function changed() {
      clearTimeout(timer);
      timer = setTimeout(save, 1500);
    }

    [textarea, title, category].forEach(function (f) {
      if (f) f.addEventListener(f.tagName === "SELECT" ? "change" : "input", changed);
    });

    discard.addEventListener("click", function () {
      clearTimeout(timer);
      request("DELETE").then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        textarea.value = "";
        if (title) title.value = "";
        last = snapshot();
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
        clearTimeout(timer);
        tell("", false);
        alert.textContent = label("draft_discarded");
        textarea.focus();
      }).catch(function () { alert.textContent = label("draft_failed"); });
    });

    // Sending: a save on its way is waited for, so that it cannot bring
    // the draft back after the post used it up.
    form.addEventListener("submit", function (e) {
      clearTimeout(timer);
      if (sending) return;
      if (saving) {
        e.preventDefault();
        var submitter = e.submitter;
        saving.then(function () {
          sending = true;
          if (form.requestSubmit) form.requestSubmit(submitter || undefined);
          else form.submit();
        });
        return;
      }
      sending = true;
    });

    // A text the server brought back (a refused post) wins over the draft.
    if (textarea.value.trim() || (title && title.value.trim())) return;
    request("GET").then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      var d = data && data.draft;
      if (!d || textarea.value.trim()) return;
      textarea.value = d.body || "";
      if (title && !title.value && d.title) title.value = d.title;
      if (category && !category.value && d.category_id) category.value = String(d.category_id);
      last = snapshot();
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
      clearTimeout(timer);
      tell(label("draft_restored"), true);
      alert.textContent = label("draft_restored");
    }).catch(function () { /* no draft shown: nothing lost, the text box is empty */ });
  }

  function enhance(textarea) {
    var form = textarea.form;
    var submit = form && form.querySelector('button[type="submit"]');
    if (!submit) return;
    if (!textarea.id) textarea.id = "composer-" + (++serial);
    var field = textarea.closest(".field") || textarea.parentNode;

    var composer = el("div", "composer");
    field.parentNode.insertBefore(composer, field);
    composer.appendChild(field);
    textarea.parentNode.insertBefore(toolbar(textarea), textarea);

    // Which draft and which thread's writers: from where the form sends.
    var action = form.getAttribute("action") || "";
    var reply = /^\/t\/(\d+)\/reply$/.exec(action);
    var threadID = reply ? Number(reply[1]) : 0;
    mentions(textarea, threadID);
    livePreview(textarea, composer, submit);
    if (reply) drafts(form, textarea, "/api/v1/threads/" + threadID + "/draft", field);
    else if (action === "/new") drafts(form, textarea, "/api/v1/drafts/new", field);

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
