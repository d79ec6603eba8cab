/* The big screen (大屏): draws the map and the trends with ECharts, and refetches the
   figures every data-refresh seconds from data-url. No inline script (CSP): the first
   figures and the labels come in two JSON blocks (json_script). */
(function () {
  "use strict";
  var body = document.getElementById("screen");
  if (!body || !window.echarts) { return; }
  var url = body.getAttribute("data-url");
  var every = Math.max(10, parseInt(body.getAttribute("data-refresh"), 10) || 30) * 1000;
  var labels = JSON.parse(document.getElementById("screen-labels").textContent);
  var data = JSON.parse(document.getElementById("screen-data").textContent);
  var number = new Intl.NumberFormat(document.documentElement.lang || "zh-CN");
  var mapEl = document.getElementById("screen-map");
  var trendEl = document.getElementById("screen-trends");
  var picker = document.getElementById("screen-map-figure");
  var mapChart = mapEl ? echarts.init(mapEl, "dark", { renderer: "canvas" }) : null;
  var trendChart = trendEl ? echarts.init(trendEl, "dark", { renderer: "canvas" }) : null;
  var mapName = "screen-" + data.area.id;
  var mapKey = "";

  function fmt(n) { return number.format(n || 0); }

  function text(el, value) { if (el) { el.textContent = value; } }

  function drawFigures() {
    var cells = document.querySelectorAll("[data-figure]");
    for (var i = 0; i < cells.length; i++) {
      text(cells[i], fmt(data.totals[cells[i].getAttribute("data-figure")]));
    }
    var banner = document.getElementById("screen-banner");
    var calm = document.getElementById("screen-calm");
    if (banner) { banner.hidden = !data.mode.emergency; }
    if (calm) { calm.hidden = !!data.mode.emergency; }
    text(document.getElementById("screen-kind"), labels.kinds[data.mode.kind] || "");
    body.classList.toggle("screen-emergency", !!data.mode.emergency);
    body.classList.toggle("screen-normal", !data.mode.emergency);
    var updated = document.getElementById("screen-updated");
    if (updated) {
      updated.setAttribute("datetime", data.generated_at);
      var at = new Date(data.generated_at);
      updated.textContent = at.toLocaleTimeString(document.documentElement.lang || "zh-CN",
        { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    }
  }

  function row(name, values, emergency) {
    var tr = document.createElement("tr");
    if (emergency) { tr.className = "row-emergency"; }
    var th = document.createElement("th");
    th.scope = "row";
    th.textContent = name;
    tr.appendChild(th);
    for (var i = 0; i < data.figures.length; i++) {
      var td = document.createElement("td");
      td.className = "num";
      td.textContent = fmt(values[data.figures[i]]);
      tr.appendChild(td);
    }
    return tr;
  }

  function drawTable() {
    var table = document.getElementById("screen-table");
    if (!table) { return; }
    var tbody = document.createElement("tbody");
    data.rows.forEach(function (r) { tbody.appendChild(row(r.name, r, r.emergency)); });
    if (data.other) { tbody.appendChild(row(labels.other, data.other, false)); }
    table.replaceChild(tbody, table.tBodies[0]);
    var foot = table.tFoot;
    var total = row(foot.rows[0].cells[0].textContent, data.totals, false);
    foot.replaceChild(total, foot.rows[0]);
  }

  function drawMap() {
    if (!mapChart) { return; }
    if (!data.map.features.length) {
      mapChart.clear();
      mapChart.setOption({ title: { text: labels.no_outlines, left: "center", top: "middle",
        textStyle: { color: "#8aa0bd", fontSize: 16, fontWeight: "normal" } } });
      return;
    }
    var key = JSON.stringify(data.map.features.map(function (f) { return f.properties.name; }));
    if (key !== mapKey) { echarts.registerMap(mapName, data.map); mapKey = key; }
    var figure = picker ? picker.value : "orders_open";
    var values = data.rows.map(function (r) {
      return { name: r.key, value: r[figure] || 0, label: r.name };
    });
    var max = Math.max.apply(null, values.map(function (v) { return v.value; }).concat([1]));
    mapChart.setOption({
      backgroundColor: "transparent",
      tooltip: { trigger: "item", formatter: function (p) {
        var label = p.data ? p.data.label : p.name;
        return label + "<br>" + (labels.figures[figure] || "") + ": " + fmt(p.value);
      } },
      visualMap: { min: 0, max: max, calculable: true, left: 10, bottom: 10,
        inRange: { color: data.mode.emergency ? ["#2b3a55", "#f59f00", "#e03131"]
          : ["#1e3a5f", "#3b82c4", "#74c0fc"] }, textStyle: { color: "#c9d6e8" } },
      series: [{ type: "map", map: mapName, roam: true, data: values,
        label: { show: true, color: "#fff", formatter: function (p) {
          return p.data ? p.data.label : p.name; } },
        itemStyle: { borderColor: "#9fb3cf", borderWidth: 1, areaColor: "#1b2638" },
        emphasis: { label: { color: "#fff" }, itemStyle: { areaColor: "#4dabf7" } } }]
    }, true);
  }

  function drawTrends() {
    if (!trendChart) { return; }
    var names = ["orders", "checkins", "watch"];
    trendChart.setOption({
      backgroundColor: "transparent",
      tooltip: { trigger: "axis" },
      legend: { data: names.map(function (n) { return labels.trends[n]; }), top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: data.trends.days.map(function (d) { return d.slice(5); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: names.map(function (n) {
        return { name: labels.trends[n], type: "line", symbolSize: 6,
          data: data.trends[n] };
      })
    }, true);
  }

  function drawAll() { drawFigures(); drawTable(); drawMap(); drawTrends(); }

  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (fresh) {
        data = fresh;
        document.getElementById("screen-error").hidden = true;
        drawAll();
      })
      .catch(function () { document.getElementById("screen-error").hidden = false; });
  }

  if (picker) { picker.addEventListener("change", drawMap); }
  window.addEventListener("resize", function () {
    if (mapChart) { mapChart.resize(); }
    if (trendChart) { trendChart.resize(); }
  });
  drawMap();
  drawTrends();
  window.setInterval(refresh, every);
}());
