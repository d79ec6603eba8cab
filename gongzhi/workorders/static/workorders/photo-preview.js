/* A preview of the photos chosen, before they are sent: for every <input type="file"
   data-preview="ID">, small images in the element ID. No framework. The images are data:
   URLs (FileReader), which the Content-Security-Policy allows (img-src 'self' data:). */
(function () {
  "use strict";
  function show(input) {
    var box = document.getElementById(input.getAttribute("data-preview"));
    if (!box) { return; }
    while (box.firstChild) { box.removeChild(box.firstChild); }
    var files = input.files || [];
    for (var i = 0; i < files.length; i += 1) {
      if (!/^image\//.test(files[i].type)) { continue; }
      (function (file, n) {
        var reader = new FileReader();
        reader.onload = function () {
          var img = document.createElement("img");
          img.src = reader.result;
          img.alt = file.name;
          img.width = 96;
          img.height = 96;
          img.setAttribute("data-preview-of", String(n));
          box.appendChild(img);
        };
        reader.readAsDataURL(file);
      })(files[i], i);
    }
  }
  function start() {
    var inputs = document.querySelectorAll("input[type=file][data-preview]");
    for (var i = 0; i < inputs.length; i += 1) {
      inputs[i].addEventListener("change", function (event) { show(event.target); });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
