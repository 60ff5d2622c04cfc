// Palabre's small enhancements. Every page works without this file; it is
// served from /static under a Content-Security-Policy without inline script.
(function () {
  "use strict";

  // The phrase for "less than a minute ago", which Intl has no words for,
  // comes from the server's catalogue (data-just-now on this script's tag).
  var script = document.currentScript;
  var justNow = script && script.getAttribute("data-just-now");

  // Dates: the server writes how long ago each <time> was, in the reader's
  // language (server/dates.go); this keeps the phrases true while the page
  // stays open, and corrects pages that the anonymous page cache kept for a
  // few minutes. Same units, same rounding (down), same wording: Intl's
  // phrases are the catalogue's ("il y a 3 minutes", "hier", "2 days ago").
  // A <time class="exact"> says a date and time that must stay as written.
  var MINUTE = 60, HOUR = 3600, DAY = 86400, WEEK = 7 * DAY;

  function relativeTimes() {
    if (!("RelativeTimeFormat" in Intl)) return;
    var lang = document.documentElement.lang || "fr";
    var always = new Intl.RelativeTimeFormat(lang, { numeric: "always" });
    var auto = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
    var date = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : lang, { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
    var now = Date.now();
    document.querySelectorAll("time[datetime]:not(.exact)").forEach(function (el) {
      var t = Date.parse(el.getAttribute("datetime"));
      if (isNaN(t)) return;
      var secs = Math.trunc((now - t) / 1000);
      var past = secs >= 0, s = Math.abs(secs), sign = past ? -1 : 1, text;
      if (s >= WEEK) text = date.format(t);
      else if (s < MINUTE) text = past ? justNow : always.format(1, "minute");
      else if (s < HOUR) text = always.format(sign * Math.floor(s / MINUTE), "minute");
      else if (s < DAY) text = always.format(sign * Math.floor(s / HOUR), "hour");
      else if (s < 2 * DAY) text = auto.format(sign, "day");
      else text = always.format(sign * Math.floor(s / DAY), "day");
      if (text && el.textContent !== text) el.textContent = text;
    });
  }

  // Exposed for the browser tests and the other scripts.
  window.Palabre = window.Palabre || {};
  window.Palabre.refreshTimes = relativeTimes;

  function start() {
    relativeTimes();
    setInterval(relativeTimes, 60 * 1000);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
