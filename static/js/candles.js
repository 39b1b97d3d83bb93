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

  function answer(response) {
    return response.json().then(function (data) { return { ok: response.ok, data: data }; },
                                function () { return { ok: false, data: {} }; });
  }

  fetch(url, { credentials: "same-origin" }).then(answer).then(function (result) {
    if (result.ok) { show(result.data); }
  }).catch(function () { /* no count, no button: the section stays hidden */ });

  button.addEventListener("click", function () {
    button.disabled = true;
    status.textContent = "";
    fetch(url, { method: "POST", credentials: "same-origin" }).then(answer).then(function (result) {
      if (result.ok) {
        show(result.data);
      } else {
        status.textContent = result.data.error || button.getAttribute("data-error-label");
        button.disabled = false;
      }
    }).catch(function () {
      status.textContent = button.getAttribute("data-error-label");
      button.disabled = false;
    });
  });
})();
