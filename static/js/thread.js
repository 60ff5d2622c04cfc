// Thread pages: quote what you select, and hear of new replies.
//
// Quote on select: selecting text inside a post (one that may be quoted:
// the thread page marks its body with data-quote and data-author) shows a
// "Quote" button; it puts [quote=author post=ID] … [/quote] around the
// selection at the end of the reply and focuses it. A conversation's page
// loads this script too: its messages have an empty data-quote, quoted as
// [quote=author] … [/quote].
//
// New replies: on the last page of a thread, while the tab is visible, the
// script asks GET /api/v1/threads/{id}?after=<last post shown> every 30 s and
// says "3 nouvelles réponses — afficher", linking to the first of them. It
// asks without credentials, as a visitor: asking must not mark the new posts
// read (the API records reading for members) before anyone has seen them.
//
// Reading position: on a long thread (ol.posts[data-total]), a small badge
// in the corner of the window says which post is at its top ("47 / 340"),
// as the reader scrolls. It repeats, for the eyes, what the pager says to
// everyone ("41–60 / 340", the page's range): screen readers skip it.
//
// Labels come from this script's data attributes. Without JavaScript the
// thread page has its Quote links and shows new replies on reload.
(function () {
  "use strict";

  var script = document.currentScript;
  var label = function (name) { return script.getAttribute("data-" + name) || ""; };
  var Palabre = window.Palabre = window.Palabre || {};

  // --- Quote on select -------------------------------------------------

  var reply = document.querySelector('#reply textarea[name="body"]');
  var quoteButton = null, quoted = null;

  function postBodyOf(node) {
    var el = node && (node.nodeType === 1 ? node : node.parentElement);
    return el && el.closest(".post-body[data-quote]");
  }

  function hideQuote() {
    if (quoteButton) quoteButton.hidden = true;
    quoted = null;
  }

  function onSelection() {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return hideQuote();
    var body = postBodyOf(sel.anchorNode);
    var text = sel.toString().trim();
    if (!body || body !== postBodyOf(sel.focusNode) || !text) return hideQuote();
    quoted = { author: body.getAttribute("data-author"), id: body.getAttribute("data-quote"), text: text };
    var article = body.closest("article");
    if (quoteButton.parentNode !== article) article.appendChild(quoteButton);
    var rect = sel.getRangeAt(0).getBoundingClientRect();
    var box = article.getBoundingClientRect();
    var left = Math.max(0, Math.min(rect.left - box.left, box.width - 120));
    quoteButton.style.top = Math.round(rect.bottom - box.top + 6) + "px";
    quoteButton.style.left = Math.round(left) + "px";
    quoteButton.hidden = false;
  }

  function insertQuote() {
    if (!quoted || !reply) return;
    // A private message (data-quote="") is quoted by its author alone.
    var block = "[quote=" + quoted.author + (quoted.id ? " post=" + quoted.id : "") + "]\n" + quoted.text + "\n[/quote]\n";
    var before = reply.value;
    if (before && !/\n\n$/.test(before)) before += /\n$/.test(before) ? "\n" : "\n\n";
    reply.value = before + block;
    reply.dispatchEvent(new Event("input", { bubbles: true }));
    hideQuote();
    var sel = window.getSelection();
    if (sel) sel.removeAllRanges();
    reply.focus();
    reply.setSelectionRange(reply.value.length, reply.value.length);
    reply.scrollIntoView({ block: "center" });
  }

  if (reply && document.querySelector(".post-body[data-quote]")) {
    quoteButton = document.createElement("button");
    quoteButton.type = "button";
    quoteButton.className = "secondary quote-selection";
    quoteButton.textContent = label("quote");
    quoteButton.hidden = true;
    // Keep the selection when the button is pressed.
    quoteButton.addEventListener("mousedown", function (e) { e.preventDefault(); });
    quoteButton.addEventListener("click", insertQuote);
    document.addEventListener("selectionchange", function () {
      // A click on the button itself must not hide it before it acts.
      if (document.activeElement === quoteButton) return;
      onSelection();
    });
    Palabre.quoteSelection = insertQuote;
  }

  // --- Reading position --------------------------------------------------

  var longThread = document.querySelector("ol.posts[data-total]");
  if (longThread) {
    var total = longThread.getAttribute("data-total");
    var numbered = longThread.querySelectorAll(":scope > li.post[id^='p']");
    var badge = document.createElement("p");
    badge.className = "reading-position";
    badge.setAttribute("aria-hidden", "true");
    badge.hidden = true;
    document.body.appendChild(badge);
    var pending = false;
    // The post at the top is the first whose bottom is below the window's
    // top edge (past the sticky header, if any: 8 px of slack).
    var place = function () {
      pending = false;
      var shown = null;
      for (var i = 0; i < numbered.length; i++) {
        var r = numbered[i].getBoundingClientRect();
        if (r.bottom > 8) { shown = r.top < window.innerHeight ? numbered[i] : null; break; }
      }
      badge.hidden = !shown;
      if (shown) badge.textContent = shown.id.slice(1) + " / " + total;
    };
    var later = function () {
      if (!pending) { pending = true; window.requestAnimationFrame(place); }
    };
    window.addEventListener("scroll", later, { passive: true });
    window.addEventListener("resize", later);
    place();
  }

  // --- New replies -----------------------------------------------------

  var list = document.querySelector("ol.posts[data-thread][data-live]");
  if (!list) return;
  var threadID = list.getAttribute("data-thread");
  var posts = list.querySelectorAll(":scope > li.post[id^='p']");
  var last = posts.length ? parseInt(posts[posts.length - 1].id.slice(1), 10) || 0 : 0;

  var notice = document.createElement("p");
  notice.className = "notice new-replies";
  notice.setAttribute("role", "status");
  notice.hidden = true;
  list.parentNode.insertBefore(notice, list.nextSibling);

  var timer = 0, inFlight = null, stopped = false;

  function say(count, more, firstID) {
    var text = count === 1 ? label("new-one") : label(more ? "new-more" : "new-other").replace("2", String(count));
    notice.textContent = text + " — ";
    var link = document.createElement("a");
    link.href = "/p/" + firstID;
    link.textContent = label("new-show");
    notice.appendChild(link);
    notice.hidden = false;
  }

  function check() {
    if (stopped || document.visibilityState !== "visible") return Promise.resolve();
    if (inFlight) return inFlight;
    inFlight = fetch("/api/v1/threads/" + threadID + "?after=" + last, {
      credentials: "omit",
      headers: { "Accept": "application/json" }
    }).then(function (r) {
      if (r.status === 404 || r.status === 410) { stop(); stopped = true; return; }
      if (!r.ok) return;
      return r.json().then(function (data) {
        var fresh = (data.posts || []).filter(function (p) { return p.number > last; });
        if (fresh.length) say(fresh.length, data.next != null, fresh[0].id);
      });
    }).catch(function () { /* offline for a moment: the next round will tell */ })
      .then(function () { inFlight = null; });
    return inFlight;
  }

  function start() {
    if (stopped || timer) return;
    timer = setInterval(check, 30 * 1000);
  }

  function stop() {
    clearInterval(timer);
    timer = 0;
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      check();
      start();
    } else {
      stop();
    }
  });
  if (document.visibilityState === "visible") start();
  Palabre.checkNewReplies = check;
})();
