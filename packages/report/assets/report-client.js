// zonesim run report: draws the charts from the data embedded in the page with Chart.js (inlined
// before this script). Plain ES2020 for any current browser; no network, no modules.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var s = data.series;
  // Okabe-Ito: distinguishable with the common colour-vision deficiencies, and on a projector.
  var PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];
  var colour = function (i) { return PALETTE[i % PALETTE.length]; };
  var origin = s.t.length > 0 ? s.t[0] : (data.run.start || 0);
  var xs = s.t.map(function (t) { return (t - origin) / 1000; });
  var bucket = s.bucketSeconds;

  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.size = 15;
  Chart.defaults.color = '#1a1a1a';
  Chart.defaults.plugins.legend.labels.boxWidth = 18;
  Chart.defaults.elements.line.borderWidth = 2.5;
  Chart.defaults.elements.point.radius = 0;

  function elapsed(sec) {
    var v = Math.max(0, Math.round(sec));
    var h = Math.floor(v / 3600), m = Math.floor((v % 3600) / 60), r = v % 60;
    var pad = function (n) { return String(n).padStart(2, '0'); };
    return h > 0 ? h + ':' + pad(m) + ':' + pad(r) : m + ':' + pad(r);
  }
  function usd(v) {
    if (v === 0) return '$0';
    return '$' + (Math.abs(v) >= 0.01 ? v.toFixed(4) : v.toPrecision(3));
  }
  function points(values) {
    return values.map(function (y, i) { return { x: xs[i], y: y }; });
  }

  // Fault windows: translucent bands behind the data, labelled at the top.
  var faultBands = {
    id: 'faultBands',
    beforeDatasetsDraw: function (chart, _args, opts) {
      if (!opts || !opts.windows || opts.windows.length === 0) return;
      var x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
      ctx.save();
      opts.windows.forEach(function (w, i) {
        var from = Math.max(area.left, x.getPixelForValue((w.from - origin) / 1000));
        var to = Math.min(area.right, x.getPixelForValue((w.to - origin) / 1000));
        if (!(to >= from)) return;
        ctx.fillStyle = 'rgba(213, 94, 0, 0.14)';
        ctx.fillRect(from, area.top, Math.max(2, to - from), area.bottom - area.top);
        ctx.fillStyle = '#8a3c00';
        ctx.font = '600 14px system-ui, sans-serif';
        ctx.textBaseline = 'top';
        ctx.fillText(w.label, from + 4, area.top + 4 + (i % 3) * 17);
      });
      ctx.restore();
    },
  };
  Chart.register(faultBands);

  function timeChart(id, type, datasets, yTitle, extra) {
    extra = extra || {};
    return new Chart(document.getElementById('chart-' + id), {
      type: type,
      data: { datasets: datasets },
      options: {
        parsing: true,
        normalized: true,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: {
            type: 'linear',
            min: 0,
            max: xs.length > 0 ? xs[xs.length - 1] + bucket : 1,
            stacked: !!extra.stacked,
            title: { display: true, text: 'time since start (m:ss)' },
            ticks: { callback: function (v) { return elapsed(v); }, maxTicksLimit: 10 },
          },
          y: {
            beginAtZero: true,
            stacked: !!extra.stacked,
            title: { display: true, text: yTitle },
            ticks: extra.yTicks ? { callback: extra.yTicks } : {},
          },
        },
        plugins: {
          legend: { position: 'top' },
          faultBands: { windows: data.faults },
          tooltip: {
            callbacks: {
              title: function (items) { return items.length ? 't+' + elapsed(items[0].parsed.x) : ''; },
              label: extra.tooltipLabel,
            },
          },
        },
      },
    });
  }

  var perBucket = bucket > 1 ? ' per ' + bucket + ' s' : ' per second';

  timeChart('latency', 'line', [
    { label: 'p50', data: points(s.p50Ms), borderColor: colour(0), backgroundColor: colour(0), spanGaps: false },
    { label: 'p99', data: points(s.p99Ms), borderColor: colour(3), backgroundColor: colour(3), spanGaps: false },
  ], 'milliseconds');

  var zones = Object.keys(s.throughput);
  timeChart('throughput', 'line', zones.map(function (z, i) {
    return {
      label: z === '(none)' ? 'no zone (never placed)' : z,
      data: points(s.throughput[z]),
      borderColor: colour(i),
      backgroundColor: colour(i) + '99',
      fill: i === 0 ? 'origin' : '-1',
    };
  }), 'attempts per second', { stacked: true });

  var barOpts = function (c) { return { backgroundColor: c, borderColor: c, barPercentage: 1, categoryPercentage: 1 }; };
  timeChart('errors', 'bar', [
    Object.assign({ label: 'function errors', data: points(s.functionErrors) }, barOpts(colour(3))),
    Object.assign({ label: 'service errors and lost', data: points(s.serviceErrors) }, barOpts(colour(4))),
    Object.assign({ label: 'throttles', data: points(s.throttles) }, barOpts(colour(1))),
  ], 'attempts' + perBucket, { stacked: true });

  timeChart('cold-starts', 'bar', [
    Object.assign({ label: 'cold starts', data: points(s.coldStarts) }, barOpts(colour(5))),
  ], 'cold starts' + perBucket);

  timeChart('cost', 'line', [
    { label: 'cost so far', data: points(s.costUsd), borderColor: colour(2), backgroundColor: colour(2) + '33', fill: 'origin', stepped: true },
  ], 'USD', {
    yTicks: function (v) { return usd(v); },
    tooltipLabel: function (item) { return item.dataset.label + ': ' + usd(item.parsed.y); },
  });

  var COMPONENTS = [
    ['requests', 'requests'],
    ['duration', 'duration (on demand)'],
    ['provisionedDuration', 'duration on provisioned concurrency'],
    ['provisionedConcurrency', 'provisioned concurrency allocation'],
    ['ephemeralStorage', 'ephemeral storage'],
  ];
  var b = data.billing;
  new Chart(document.getElementById('chart-billing-components'), {
    type: 'doughnut',
    data: {
      labels: COMPONENTS.map(function (c) { return c[1] + ' ' + usd(b.components[c[0]]); }),
      datasets: [{ data: COMPONENTS.map(function (c) { return b.components[c[0]]; }), backgroundColor: COMPONENTS.map(function (_c, i) { return colour(i); }), borderColor: '#fff', borderWidth: 2 }],
    },
    options: {
      plugins: {
        legend: { position: 'bottom' },
        tooltip: { callbacks: { label: function (item) { return usd(item.parsed); } } },
      },
    },
  });

  function breakdown(id, rows, axisTitle) {
    new Chart(document.getElementById('chart-' + id), {
      type: 'bar',
      data: {
        labels: rows.map(function (r) { return r.name === '(none)' ? 'no zone' : r.name; }),
        datasets: COMPONENTS.map(function (c, i) {
          return { label: c[1], data: rows.map(function (r) { return r.usd[c[0]]; }), backgroundColor: colour(i) };
        }),
      },
      options: {
        indexAxis: 'y',
        scales: {
          x: { stacked: true, beginAtZero: true, title: { display: true, text: 'USD' }, ticks: { callback: function (v) { return usd(v); }, maxTicksLimit: 6 } },
          y: { stacked: true, title: { display: true, text: axisTitle } },
        },
        plugins: {
          legend: { position: 'top' },
          tooltip: { callbacks: { label: function (item) { return item.dataset.label + ': ' + usd(item.parsed.x); } } },
        },
      },
    });
  }
  breakdown('billing-functions', b.byFunction, 'function');
  breakdown('billing-zones', b.byZone, 'zone');

  document.body.setAttribute('data-charts-ready', String(document.querySelectorAll('.chart canvas').length));
})();
