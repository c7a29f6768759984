// zonesim study page: draws the metric charts (means with 95 % confidence bands) and the latency
// ECDFs from the data embedded in the page, with Chart.js (inlined before this script). The data
// are computed by packages/research/src/study-html-data.ts. Plain ES2020; no network, no modules.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('study-data').textContent);
  // Okabe-Ito: distinguishable with the common colour-vision deficiencies. Past eight lines the
  // colours repeat with a dash pattern, and every line has its own point shape for print in grey.
  var PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000', '#F0E442'];
  var SHAPES = ['circle', 'rect', 'triangle', 'rectRot', 'crossRot', 'star', 'rectRounded', 'cross'];
  var DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3]];
  function style(i) {
    var c = PALETTE[i % PALETTE.length];
    return { colour: c, band: c + '2e', shape: SHAPES[i % SHAPES.length], dash: DASHES[Math.floor(i / PALETTE.length) % DASHES.length] };
  }

  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.size = 14;
  Chart.defaults.color = '#1a1a1a';
  Chart.defaults.plugins.legend.labels.boxWidth = 18;

  // The same as formatValue in study-html-data.ts: whole numbers whole, others to 3-4 digits.
  function fmt(v) {
    if (v === null || v === undefined) return '-';
    if (v === 0) return '0';
    if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
    var a = Math.abs(v);
    if (a >= 100) return v.toFixed(0);
    if (a >= 10) return v.toFixed(1);
    if (a >= 1) return v.toFixed(2);
    return String(Number(v.toPrecision(4)));
  }

  // Confidence bands behind the lines (a polygon over each run of points with an interval) and an
  // error bar with caps at every such point, so a lone point or a category axis still shows it.
  var ciBands = {
    id: 'ciBands',
    beforeDatasetsDraw: function (chart) {
      var y = chart.scales.y, area = chart.chartArea, ctx = chart.ctx;
      var visible = [];
      chart.data.datasets.forEach(function (ds, i) {
        if (!ds.ci || !chart.isDatasetVisible(i)) return;
        var els = chart.getDatasetMeta(i).data;
        var pts = ds.ci.map(function (ci, j) {
          var el = els[j];
          return ci && el && !el.skip ? { x: el.x, lo: y.getPixelForValue(ci[0]), hi: y.getPixelForValue(ci[1]) } : null;
        });
        visible.push({ ds: ds, pts: pts });
      });
      ctx.save();
      ctx.beginPath();
      ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
      ctx.clip();
      visible.forEach(function (v) {
        var run = [];
        var flush = function () {
          if (run.length > 1) {
            ctx.beginPath();
            run.forEach(function (p, k) { if (k === 0) ctx.moveTo(p.x, p.hi); else ctx.lineTo(p.x, p.hi); });
            for (var k = run.length - 1; k >= 0; k--) ctx.lineTo(run[k].x, run[k].lo);
            ctx.closePath();
            ctx.fillStyle = v.ds.bandColor;
            ctx.fill();
          }
          run = [];
        };
        v.pts.forEach(function (p) { if (p) run.push(p); else flush(); });
        flush();
      });
      visible.forEach(function (v) {
        ctx.strokeStyle = v.ds.borderColor;
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        v.pts.forEach(function (p) {
          if (!p) return;
          ctx.moveTo(p.x, p.lo); ctx.lineTo(p.x, p.hi);
          ctx.moveTo(p.x - 5, p.lo); ctx.lineTo(p.x + 5, p.lo);
          ctx.moveTo(p.x - 5, p.hi); ctx.lineTo(p.x + 5, p.hi);
        });
        ctx.stroke();
      });
      ctx.restore();
    },
  };
  // Lines that share x values are drawn a few pixels apart ("dodged"), so that overlapping points
  // and error bars stay apart; the shift is at most a quarter of the gap between x values.
  var dodge = {
    id: 'dodge',
    afterDatasetsUpdate: function (chart) {
      var shown = [];
      chart.data.datasets.forEach(function (ds, i) { if (ds.ci && chart.isDatasetVisible(i)) shown.push(i); });
      if (shown.length < 2) return;
      var xs = [];
      shown.forEach(function (i) { chart.getDatasetMeta(i).data.forEach(function (el) { if (xs.indexOf(el.x) < 0) xs.push(el.x); }); });
      xs.sort(function (a, b) { return a - b; });
      var gap = chart.chartArea.right - chart.chartArea.left;
      for (var k = 1; k < xs.length; k++) gap = Math.min(gap, xs[k] - xs[k - 1]);
      var step = Math.min(7, gap / 4 / shown.length);
      shown.forEach(function (i, k) {
        var dx = (k - (shown.length - 1) / 2) * step;
        chart.getDatasetMeta(i).data.forEach(function (el) { el.x += dx; });
      });
    },
  };
  // The trade-off chart's error bars: each point's 95 % interval along y and along x, with caps.
  var ciCross = {
    id: 'ciCross',
    afterDatasetsDraw: function (chart) {
      var xs = chart.scales.x, ys = chart.scales.y, ctx = chart.ctx, area = chart.chartArea;
      ctx.save();
      ctx.beginPath();
      ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
      ctx.clip();
      chart.data.datasets.forEach(function (ds, i) {
        if (!ds.ciX || !chart.isDatasetVisible(i)) return;
        var els = chart.getDatasetMeta(i).data;
        ctx.strokeStyle = ds.borderColor;
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        els.forEach(function (el, j) {
          if (!el || el.skip) return;
          var cy = ds.ciY[j], cx = ds.ciX[j];
          if (cy) {
            var lo = ys.getPixelForValue(cy[0]), hi = ys.getPixelForValue(cy[1]);
            ctx.moveTo(el.x, lo); ctx.lineTo(el.x, hi);
            ctx.moveTo(el.x - 5, lo); ctx.lineTo(el.x + 5, lo);
            ctx.moveTo(el.x - 5, hi); ctx.lineTo(el.x + 5, hi);
          }
          if (cx) {
            var l = xs.getPixelForValue(cx[0]), r = xs.getPixelForValue(cx[1]);
            ctx.moveTo(l, el.y); ctx.lineTo(r, el.y);
            ctx.moveTo(l, el.y - 5); ctx.lineTo(l, el.y + 5);
            ctx.moveTo(r, el.y - 5); ctx.lineTo(r, el.y + 5);
          }
        });
        ctx.stroke();
      });
      ctx.restore();
    },
  };
  Chart.register(ciBands, dodge, ciCross);

  function xScale(axis) {
    if (axis.kind !== 'linear') return { type: 'category', labels: axis.values, offset: true, title: { display: true, text: axis.title } };
    var lo = Math.min.apply(null, axis.positions), hi = Math.max.apply(null, axis.positions);
    var pad = hi > lo ? (hi - lo) * 0.06 : 1;
    return {
      type: 'linear', min: lo - pad, max: hi + pad,
      title: { display: true, text: axis.title },
      // Ticks at the swept values only, labelled as given (100ms, not 100).
      afterBuildTicks: function (scale) { scale.ticks = axis.positions.slice().sort(function (a, b) { return a - b; }).map(function (v) { return { value: v }; }); },
      ticks: { callback: function (v) { var i = axis.positions.indexOf(v); return i >= 0 ? axis.values[i] : ''; } },
    };
  }

  function yRange(metric, series) {
    var lo = Infinity, hi = -Infinity;
    series.forEach(function (s) {
      s.points.forEach(function (p) {
        if (p.mean === null) return;
        lo = Math.min(lo, p.ci95 ? p.ci95[0] : p.mean); hi = Math.max(hi, p.ci95 ? p.ci95[1] : p.mean);
      });
    });
    if (!isFinite(lo)) return {};
    // Every metric is >= 0; rates and shares are <= 1. Counts and times start at zero.
    if (!metric.bounded) return { beginAtZero: true, min: 0, suggestedMax: hi > 0 ? hi : 1 };
    return { suggestedMin: Math.max(0, Math.min(lo, Math.min(hi, 1) - 0.05)), max: 1 };
  }

  var metricCharts = [];
  function drawMetrics(xi) {
    metricCharts.forEach(function (c) { c.destroy(); });
    var axis = data.axes[xi];
    metricCharts = data.metrics.map(function (m, i) {
      var series = m.byAxis[xi];
      var x = function (p) { return axis.kind === 'linear' ? axis.positions[p.x] : axis.values[p.x]; };
      return new Chart(document.getElementById('metric-' + i), {
        type: 'line',
        data: {
          datasets: series.map(function (s, k) {
            var st = style(k);
            return {
              label: s.label,
              data: s.points.map(function (p) { return { x: x(p), y: p.mean }; }),
              ci: s.points.map(function (p) { return p.ci95; }),
              n: s.points.map(function (p) { return p.n; }),
              cells: s.points.map(function (p) { return p.cell; }),
              borderColor: st.colour, backgroundColor: st.colour, bandColor: st.band, borderDash: st.dash,
              pointStyle: st.shape, pointRadius: 5, pointHoverRadius: 7, borderWidth: 2.5, spanGaps: false,
              // Points on the 0 or 1 edge are drawn whole.
              clip: 8,
            };
          }),
        },
        options: {
          interaction: { mode: 'nearest', intersect: false },
          scales: { x: xScale(axis), y: Object.assign({ title: { display: true, text: m.yTitle } }, yRange(m, series)) },
          plugins: {
            legend: { display: series.length > 1, position: 'top', labels: { usePointStyle: true, boxHeight: 9 } },
            tooltip: {
              callbacks: {
                title: function (items) { return items.length ? axis.field + ' = ' + axis.values[series[items[0].datasetIndex].points[items[0].dataIndex].x] : ''; },
                label: function (item) {
                  var ds = item.dataset, j = item.dataIndex, ci = ds.ci[j];
                  return (series.length > 1 ? ds.label + ': ' : '') + fmt(item.parsed.y) + (ci ? '  95% CI [' + fmt(ci[0]) + ', ' + fmt(ci[1]) + ']' : '') + '  n=' + ds.n[j] + ' (' + ds.cells[j] + ')';
                },
              },
            },
          },
        },
      });
    });
  }

  // One metric against another: the cells of each line of the chosen x axis, joined in its order.
  var tradeoffChart = null;
  function drawTradeoff(xi) {
    var canvas = document.getElementById('tradeoff');
    if (!canvas) return;
    if (tradeoffChart) tradeoffChart.destroy();
    var byName = function (name) { return data.metrics.filter(function (m) { return m.name === name; })[0]; };
    var mx = byName(document.getElementById('tradeoff-x').value), my = byName(document.getElementById('tradeoff-y').value);
    var axis = data.axes[xi];
    document.getElementById('tradeoff-caption').textContent = my.name + ' against ' + mx.name + ', cells joined along ' + axis.field;
    var sx = mx.byAxis[xi], sy = my.byAxis[xi];
    var datasets = sx.map(function (s, k) {
      var st = style(k);
      // Both metrics' series have the same lines and points (the same cells in the same order).
      var pts = s.points.map(function (p, j) { return { p: p, q: sy[k].points[j] }; }).filter(function (o) { return o.p.mean !== null && o.q && o.q.mean !== null; });
      return {
        label: s.label === mx.name ? 'cells' : s.label,
        data: pts.map(function (o) { return { x: o.p.mean, y: o.q.mean }; }),
        ciX: pts.map(function (o) { return o.p.ci95; }),
        ciY: pts.map(function (o) { return o.q.ci95; }),
        names: pts.map(function (o) { return axis.field + '=' + axis.values[o.p.x] + ' (' + o.p.cell + ', n=' + Math.min(o.p.n, o.q.n) + ')'; }),
        borderColor: st.colour, backgroundColor: st.colour, borderDash: st.dash,
        pointStyle: st.shape, pointRadius: 6, pointHoverRadius: 8, borderWidth: 2, showLine: true, clip: 8,
      };
    });
    var range = function (m, series) { var r = yRange(m, series); delete r.max; return r; };
    tradeoffChart = new Chart(canvas, {
      type: 'scatter',
      data: { datasets: datasets },
      options: {
        interaction: { mode: 'nearest', intersect: true },
        scales: {
          x: Object.assign({ type: 'linear', title: { display: true, text: mx.yTitle } }, range(mx, sx)),
          y: Object.assign({ type: 'linear', title: { display: true, text: my.yTitle } }, range(my, sy)),
        },
        plugins: {
          legend: { display: datasets.length > 1, position: 'top', labels: { usePointStyle: true, boxHeight: 9 } },
          tooltip: {
            callbacks: {
              label: function (item) {
                var ds = item.dataset, j = item.dataIndex;
                return (datasets.length > 1 ? ds.label + ', ' : '') + ds.names[j] + ': ' + mx.name + ' ' + fmt(item.parsed.x) + ', ' + my.name + ' ' + fmt(item.parsed.y);
              },
            },
          },
        },
      },
    });
  }

  function logTick(v) {
    if (!(v > 0)) return '';
    var p = Math.pow(10, Math.floor(Math.log10(v) + 1e-9));
    var m = Math.round((v / p) * 1000) / 1000;
    return m === 1 || m === 2 || m === 5 ? fmt(v) : '';
  }

  var ecdfCharts = [];
  function drawEcdf(log) {
    ecdfCharts.forEach(function (c) { c.destroy(); });
    // A latency of 0 ms has no place on a log axis: it is drawn at the smallest positive latency.
    var floor = Infinity;
    data.ecdf.forEach(function (c) { c.lines.forEach(function (l) { l.x.forEach(function (v) { if (v > 0 && v < floor) floor = v; }); }); });
    if (!isFinite(floor)) floor = 1;
    ecdfCharts = data.ecdf.map(function (chart, i) {
      return new Chart(document.getElementById('ecdf-' + i), {
        type: 'line',
        data: {
          datasets: chart.lines.map(function (l, k) {
            var st = style(k);
            return {
              label: l.label + ' (' + l.runs + ' run' + (l.runs === 1 ? '' : 's') + ')',
              data: l.x.map(function (v, j) { return { x: log ? Math.max(v, floor) : v, y: l.y[j] }; }),
              borderColor: st.colour, backgroundColor: st.colour, borderDash: st.dash,
              borderWidth: 2, pointRadius: 0, pointHoverRadius: 4, stepped: 'after', fill: false,
            };
          }),
        },
        options: {
          parsing: false,
          normalized: true,
          interaction: { mode: 'nearest', intersect: false },
          scales: {
            x: Object.assign(
              { type: log ? 'logarithmic' : 'linear', title: { display: true, text: 'latency (ms), intended send to answer' + (log ? ', log scale' : '') } },
              log ? { ticks: { callback: logTick, autoSkip: false, maxRotation: 0 } } : { min: 0 },
            ),
            y: { min: 0, max: 1, title: { display: true, text: 'fraction of operations at or below' } },
          },
          plugins: {
            legend: { position: 'top' },
            tooltip: { callbacks: { label: function (item) { return item.dataset.label + ': ' + fmt(item.parsed.y * 100) + '% at or below ' + fmt(item.parsed.x) + ' ms'; } } },
          },
        },
      });
    });
  }

  var select = document.getElementById('x-axis');
  var chosenAxis = function () { return select ? Number(select.value) : data.defaultAxis; };
  drawMetrics(chosenAxis());
  drawTradeoff(chosenAxis());
  if (select) select.addEventListener('change', function () { drawMetrics(chosenAxis()); drawTradeoff(chosenAxis()); });
  ['tradeoff-x', 'tradeoff-y'].forEach(function (id) {
    var el = document.getElementById(id);
    if (el) el.addEventListener('change', function () { drawTradeoff(chosenAxis()); });
  });
  var logBox = document.getElementById('ecdf-log');
  drawEcdf(logBox ? logBox.checked : true);
  if (logBox) logBox.addEventListener('change', function () { drawEcdf(logBox.checked); });

  document.body.setAttribute('data-charts-ready', String(document.querySelectorAll('.chart canvas, .pair canvas').length));
})();
