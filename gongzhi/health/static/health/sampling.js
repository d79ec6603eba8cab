// The sampling point's page: keep the scanner's input focused after each htmx swap, and,
// where the browser can read QR codes (BarcodeDetector), offer the phone's camera.
(function () {
  "use strict";

  function focusInput() {
    var input = document.querySelector("#scan-panel [autofocus]");
    if (input) { input.focus(); }
  }

  function setUpCamera() {
    var form = document.querySelector("[data-scan-form]");
    if (!form || !("BarcodeDetector" in window) || !navigator.mediaDevices) { return; }
    var button = form.querySelector("[data-camera]");
    var video = form.querySelector("[data-camera-view]");
    if (!button || !video) { return; }
    button.classList.remove("d-none");
    button.addEventListener("click", function () {
      var detector = new window.BarcodeDetector({ formats: ["qr_code", "code_128", "code_39", "ean_13"] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
        video.srcObject = stream;
        video.classList.remove("d-none");
        video.play();
        var stop = function () { stream.getTracks().forEach(function (t) { t.stop(); }); };
        var look = function () {
          detector.detect(video).then(function (codes) {
            if (codes.length) {
              stop();
              var input = form.querySelector("[autofocus]");
              input.value = codes[0].rawValue;
              form.requestSubmit();
            } else {
              window.requestAnimationFrame(look);
            }
          }).catch(stop);
        };
        look();
      }).catch(function () { button.disabled = true; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { focusInput(); setUpCamera(); });
  document.addEventListener("htmx:afterSettle", function () { focusInput(); setUpCamera(); });
})();
