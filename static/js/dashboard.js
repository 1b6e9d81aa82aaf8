/* The dashboard's charts (tổng quan), drawn with Chart.js (static/vendor/chartjs, MIT) from the
   figures the page gives in <script type="application/json" id="dashboard-data">. Each chart has
   its table on the page (the accessible alternative, with the same drill-down links); a click on
   a bar opens the plans it counts. */
(function () {
  "use strict";

  var source = document.getElementById("dashboard-data");
  if (!source || typeof window.Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var labels = data.labels;
  var NAVY = "#0b3a6f", RED = "#c8102e", GOLD = "#f2c94c", GREY = "#8792a2", GREEN = "#1d7a46";

  function open(url) {
    if (url) window.location.assign(url);
  }

  function draw(id, config, urls) {
    var canvas = document.getElementById(id);
    if (!canvas) return null;
    config.options = Object.assign(
      {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: config.data.datasets.length > 1 } },
        onClick: function (_event, elements) {
          if (urls && elements.length) open(urls[elements[0].index]);
        },
        onHover: function (event, elements) {
          var target = event.native && event.native.target;
          if (target) target.style.cursor = urls && elements.length ? "pointer" : "default";
        },
      },
      config.options || {}
    );
    var chart = new window.Chart(canvas, config);
    canvas.setAttribute("data-rendered", "true");
    return chart;
  }

  var stages = data.by_stage;
  draw(
    "chart-stages",
    {
      type: "bar",
      data: {
        labels: stages.map(function (r) { return r.label; }),
        datasets: [{ label: labels.plans, data: stages.map(function (r) { return r.count; }), backgroundColor: NAVY }],
      },
      options: { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    },
    stages.map(function (r) { return r.count ? r.plans_url : null; })
  );

  var durations = data.stage_durations;
  draw("chart-durations", {
    type: "bar",
    data: {
      labels: durations.map(function (r) { return r.label; }),
      datasets: [{ label: labels.days, data: durations.map(function (r) { return r.average_days || 0; }), backgroundColor: GOLD }],
    },
    options: { indexAxis: "y", scales: { x: { beginAtZero: true } } },
  });

  var overdue = data.consultations_overdue;
  draw(
    "chart-overdue",
    {
      type: "bar",
      data: {
        labels: overdue.map(function (r) { return r.unit_name; }),
        datasets: [
          { label: labels.waiting, data: overdue.map(function (r) { return r.waiting; }), backgroundColor: RED },
          { label: labels.silent, data: overdue.map(function (r) { return r.silent; }), backgroundColor: GREY },
          { label: labels.late, data: overdue.map(function (r) { return r.late; }), backgroundColor: GOLD },
        ],
      },
      options: {
        indexAxis: "y",
        scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } },
      },
    },
    overdue.map(function (r) { return r.plans_url; })
  );

  var months = data.issued_by_month;
  draw(
    "chart-issued",
    {
      type: "bar",
      data: {
        labels: months.map(function (r) { return r.month; }),
        datasets: [{ label: labels.issued, data: months.map(function (r) { return r.count; }), backgroundColor: GREEN }],
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    },
    months.map(function (r) { return r.count ? r.plans_url : null; })
  );
})();
