// The shopper's time zone, for the times the server writes (the tz cookie), and the times on
// this page written in it at once where the server had to guess.
(function () {
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return; }
  if (!zone) return;
  document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax";
  document.querySelectorAll("time[data-zone]").forEach(function (t) {
    if (t.getAttribute("data-zone") === zone) return;
    var at = new Date(t.getAttribute("datetime"));
    if (isNaN(at)) return;
    try {
      t.textContent = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
        { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short" }).format(at);
    } catch (e) { /* the server's words stay */ }
  });
})();

// When the time to pay runs out, the page reloads to say so (the server counted the seconds).
(function () {
  var root = document.querySelector("[data-expires-in]");
  var left = parseInt((root && root.getAttribute("data-expires-in")) || "", 10);
  if (isNaN(left)) return;
  setTimeout(function () { window.location.reload(); }, (left + 1) * 1000);
})();

// Live status for the BankID and processing pages: hears from /events (or asks /status) every
// second, draws the new QR frame, announces the message, and moves on when the payment does.
// Without JavaScript the page's <noscript> meta refresh does the same job more coarsely.
(function () {
  // The encoder's address carries its version (the page names it), so browsers keep it a year.
  var encoderURL = (document.currentScript && document.currentScript.getAttribute("data-qr-encoder")) || "/static/lean-qr.js";
  var root = document.querySelector("[data-status-url]");
  var url = root && root.getAttribute("data-status-url");
  // Nothing to wait for (the picker, the result): no stream and no asking. An empty URL would
  // otherwise name this page itself, fetched once a second for as long as it stays open.
  if (!url) return;
  var qr = document.getElementById("qr");
  // The QR is drawn here from the frame's payload with lean-qr (loaded on first need), so the
  // server encodes no image per shopper and second; the server's PNG is the fallback.
  var encoder = null, drawn = "";
  function showQR(s) {
    if (s.qr_data && encoder === null) {
      encoder = false;
      import(encoderURL).then(function (m) { encoder = m; }, function () { encoder = false; });
    }
    if (s.qr_data && encoder) {
      if (drawn !== s.qr_data) {
        try {
          qr.setAttribute("src", encoder.generate(s.qr_data, { minCorrectionLevel: encoder.correction.M })
            .toDataURL({ type: "image/png", scale: 4, pad: 4, on: [0, 0, 0, 255], off: [255, 255, 255, 255] }));
          drawn = s.qr_data;
        } catch (e) {
          encoder = false; // never again: the server's image it is
        }
      }
    } else if (qr.getAttribute("src") !== s.qr) {
      qr.setAttribute("src", s.qr);
      drawn = "";
    }
    qr.hidden = false;
  }
  var msg = document.getElementById("status-text");
  var scan = document.getElementById("scan-within");
  var left = document.getElementById("countdown");
  // The seconds left as the server counted them when it drew the page: the shopper's own clock
  // may be wrong, the time since the page loaded is not.
  var expiresIn = parseInt(root.getAttribute("data-expires-in") || "", 10);
  var loaded = Date.now();
  function countdown() {
    if (left && !isNaN(expiresIn)) {
      var s = Math.max(0, Math.ceil(expiresIn - (Date.now() - loaded) / 1000));
      var h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, two = function (n) { return String(n).padStart(2, "0"); };
      left.textContent = (h > 0 ? h + ":" + two(m) : m) + ":" + two(s % 60);
    }
  }
  function apply(s) {
    if (!s) return;
    if (s.next) { window.location.replace(s.next); return; }
    if (qr) {
      if (s.qr) showQR(s);
      else { qr.hidden = true; }
    }
    if (msg && s.message && msg.textContent !== s.message) msg.textContent = s.message;
    if (scan) {
      scan.hidden = !s.scan;
      if (s.scan) scan.textContent = (scan.getAttribute("data-text") || "").replace("%s", s.scan);
    }
  }
  // Asking /status every second: for browsers that cannot hold the stream below.
  var busy = false, polling = false;
  function poll() {
    if (busy) return;
    busy = true;
    fetch(url, { headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { busy = false; apply(s); })
      .catch(function () { busy = false; });
  }
  function startPolling() {
    if (polling) return;
    polling = true;
    poll();
    setInterval(poll, 1000);
  }
  countdown();
  setInterval(countdown, 1000);
  // The server sends the same answer once a second over one stream (it reconnects by itself
  // after a break); if the stream cannot be had at all, ask instead.
  if (window.EventSource) {
    var es = new EventSource(url.replace("/status", "/events"));
    es.onmessage = function (e) {
      var s = null;
      try { s = JSON.parse(e.data); } catch (x) { return; }
      if (s.next) es.close();
      apply(s);
    };
    es.onerror = function () { if (es.readyState === EventSource.CLOSED) startPolling(); };
  } else {
    startPolling();
  }
})();

// Bank search as you type: hides the banks (and countries) that do not match. Without JavaScript
// the search form still works by submitting.
(function () {
  var q = document.getElementById("q");
  if (!q) return;
  // The list filters as the shopper types: the Search button (for browsers without JavaScript)
  // would only take room from the field; Enter still searches on the server.
  var go = q.form && q.form.querySelector("button[type=submit]");
  if (go) go.hidden = true;
  q.addEventListener("input", function () {
    var term = q.value.trim().toLowerCase();
    document.querySelectorAll("ul.banks").forEach(function (list) {
      var shown = 0;
      list.querySelectorAll("li").forEach(function (li) {
        var match = !term || li.textContent.toLowerCase().indexOf(term) >= 0 || (li.querySelector("button") || {}).value.toLowerCase().indexOf(term) >= 0;
        li.hidden = !match;
        if (match) shown++;
      });
      list.hidden = shown === 0;
      var h = list.previousElementSibling;
      if (h && h.tagName === "H2") h.hidden = shown === 0;
    });
  });
})();
