/* The check-in page: when the activity has a place on the map, ask the phone for its
   position before sending (at most 8 s); without it the check-in is sent anyway and the
   QR at the place is the proof. No framework. */
(function () {
  "use strict";
  function start() {
    var form = document.getElementById("checkin-form");
    if (!form || !form.getAttribute("data-ask-position") || !navigator.geolocation) { return; }
    var sent = false;
    form.addEventListener("submit", function (event) {
      if (sent) { return; }
      event.preventDefault();
      var send = function () { sent = true; form.submit(); };
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.elements.latitude.value = pos.coords.latitude.toFixed(6);
        form.elements.longitude.value = pos.coords.longitude.toFixed(6);
        send();
      }, send, { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
