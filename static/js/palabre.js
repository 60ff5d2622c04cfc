// Palabre's small enhancements. Every page works without this file; it is
// served from /static under a Content-Security-Policy without inline script.
(function () {
  "use strict";

  // Dates: the server writes an absolute date; show how long ago it was, in
  // the page's language, and keep the absolute date as a tooltip.
  function relativeTimes() {
    if (!("RelativeTimeFormat" in Intl)) return;
    var lang = document.documentElement.lang || "fr";
    var rtf = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
    var units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
    document.querySelectorAll("time[datetime]").forEach(function (el) {
      var t = Date.parse(el.getAttribute("datetime"));
      if (isNaN(t)) return;
      var secs = Math.round((t - Date.now()) / 1000);
      for (var i = 0; i < units.length; i++) {
        if (Math.abs(secs) >= units[i][1] || units[i][0] === "second") {
          if (!el.title) el.title = el.textContent.trim();
          el.textContent = rtf.format(Math.round(secs / units[i][1]), units[i][0]);
          break;
        }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", relativeTimes);
  } else {
    relativeTimes();
  }
})();
