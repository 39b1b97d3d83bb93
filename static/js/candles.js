/* Candles on a person page: the count and the button come from /candles/<uuid>/, never from the
   cached page itself (which is the same for every visitor). Without script the section stays hidden. */
(function () {
  "use strict";
  var section = document.querySelector("[data-candles]");
  if (!section || !window.fetch) { return; }
  var url = section.getAttribute("data-candles") + "?lang=" + encodeURIComponent(document.documentElement.lang);
  var count = section.querySelector(".candle-count");
  var button = section.querySelector("button");
  var status = section.querySelector(".candle-status");

  function show(data) {
    count.textContent = data.text;
    if (data.lit) {
      button.disabled = true;
      button.textContent = button.getAttribute("data-lit-label");
    }
    section.hidden = false;
  }

  fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) { if (data) { show(data); } });

  button.addEventListener("click", function () {
    button.disabled = true;
    fetch(url, { method: "POST", credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
      .then(function (answer) {
        if (answer.ok) { show(answer.data); } else { status.textContent = answer.data.error || ""; button.disabled = false; }
      });
  });
})();
