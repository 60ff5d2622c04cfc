// Live review queue: the header badge of the moderators and the queue page
// follow the queue without a reload, through Server-Sent Events
// (/mod/events). The page comes with the badge's count (server/layout.templ):
// this only updates it. Without JavaScript the badge and the queue are up to
// date at each visit.
(function () {
  "use strict";
  var badge = document.querySelector("[data-review-badge]");
  var list = document.getElementById("review-items");
  if ((!badge && !list) || !window.EventSource || !window.fetch) {
    return;
  }
  var count = badge ? badge.querySelector("[data-review-count]") : null;
  var label = badge ? badge.querySelector("[data-review-label]") : null;
  var plural = window.Intl && Intl.PluralRules ? new Intl.PluralRules(document.documentElement.lang || "fr") : null;
  var refreshing = null;
  var again = false;

  function ids(root) {
    var out = {};
    root.querySelectorAll("[data-item-id]").forEach(function (li) { out[li.dataset.itemId] = true; });
    return out;
  }

  // refresh reads the queue page again with the same filters and puts its
  // list in place; items that were not there are marked as new.
  function refresh() {
    if (refreshing) {
      again = true;
      return;
    }
    var before = ids(list);
    refreshing = fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) {
          return;
        }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("review-items");
        var summary = doc.getElementById("review-summary");
        if (!fresh) {
          return;
        }
        fresh.querySelectorAll("[data-item-id]").forEach(function (li) {
          if (!before[li.dataset.itemId]) {
            li.classList.add("arrived");
          }
        });
        list.replaceWith(fresh);
        list = fresh;
        var old = document.getElementById("review-summary");
        if (old && summary) {
          old.textContent = summary.textContent;
        }
      })
      .catch(function () {})
      .then(function () {
        refreshing = null;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  var events = new EventSource("/mod/events");
  events.addEventListener("queue", function (e) {
    var data;
    try {
      data = JSON.parse(e.data);
    } catch (err) {
      return;
    }
    if (badge && count) {
      count.textContent = String(data.count);
      if (label) {
        var one = plural ? plural.select(data.count) === "one" : data.count === 1;
        label.textContent = " " + (one ? badge.dataset.labelOne : badge.dataset.labelOther);
      }
      badge.hidden = data.count === 0;
    }
    if (list && data.item) {
      refresh();
    }
  });
  // A page that is not the queue keeps one stream only while visible.
  window.addEventListener("pagehide", function () { events.close(); });
})();
