/* The dashboard's chart: sales and refunds per day, from the page's JSON block.
   chart.js is served from /static/vendor; nothing here loads from another host. */
(function () {
  "use strict";
  var data = document.getElementById("dashboard-data");
  var canvas = document.getElementById("sales-chart");
  if (!data || !canvas) { return; }
  var fallback = document.querySelector(".chart-fallback");
  if (typeof window.Chart !== "function") {
    if (fallback) { fallback.hidden = false; }
    return;
  }
  var figures = JSON.parse(data.textContent);
  var colours = { sales: "#2457c5", refunds: "#b42318" };
  var won = new Intl.NumberFormat(document.documentElement.lang === "en" ? "en-US" : "ko-KR");
  var chart = new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: figures.labels,
      datasets: figures.series.map(function (series) {
        return {
          label: series.label,
          data: series.values,
          backgroundColor: colours[series.key] || "#5d6678",
          borderRadius: 3
        };
      })
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        y: { beginAtZero: true, ticks: { callback: function (v) { return won.format(v); } } }
      },
      plugins: {
        tooltip: {
          callbacks: {
            label: function (item) {
              return item.dataset.label + ": " + won.format(item.parsed.y) + " " + figures.currency;
            }
          }
        }
      }
    }
  });
  canvas.dataset.ready = "true";
  window.paydeskDashboardChart = chart;
})();
