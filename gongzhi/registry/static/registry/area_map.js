// Placing a building on the area map (registry/area_shapes.html): a click on the SVG map
// becomes longitude and latitude in the form, by the page's own projection (no tiles,
// no network). The inverse of registry.geo.Projection.xy.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.querySelector(".area-map-pick");
  if (!box) return;
  var svg = box.querySelector("svg.area-map");
  var form = box.closest("form");
  if (!svg || !form) return;
  var west = parseFloat(svg.dataset.west), north = parseFloat(svg.dataset.north);
  var factor = parseFloat(svg.dataset.factor), scaleX = parseFloat(svg.dataset.scaleX);
  var left = parseFloat(svg.dataset.left), pad = parseFloat(svg.dataset.pad);
  var marker = svg.querySelector(".area-map-marker");
  svg.addEventListener("click", function (event) {
    event.preventDefault();
    var point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    var at = point.matrixTransform(svg.getScreenCTM().inverse());
    var lon = west + (at.x - left) / (scaleX * factor);
    var lat = north - (at.y - pad) / factor;
    form.querySelector("[name=lon]").value = lon.toFixed(6);
    form.querySelector("[name=lat]").value = lat.toFixed(6);
    if (marker) {
      marker.setAttribute("cx", at.x);
      marker.setAttribute("cy", at.y);
    }
  });
});
