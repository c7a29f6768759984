import type { Chart as ChartClass, ChartConfiguration, ChartDataset, Plugin } from 'chart.js';
import type { FaultWindowView, Tick } from './feed-types.js';
import { NO_ZONE, type SeriesBuffer } from './series-buffer.js';

// Chart.js's UMD build (served by the coordinator, loaded before this module) defines window.Chart.
declare const Chart: typeof ChartClass;

type Point = { x: number; y: number | null };
type LineChart = ChartClass<'line', Point[]>;

/** Colours that stay apart for colour-blind viewers (Okabe-Ito), one per zone in order. */
const ZONE_COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

/** What one chart draws: a dataset per series, each a function of a tick. */
interface SeriesSpec {
  key: string;
  label: string;
  colour: string;
  value: (t: Tick) => number | null;
  dashed?: boolean;
}

interface ChartState {
  chart: LineChart;
  specs: SeriesSpec[];
  /** `t` of the last tick drawn. */
  lastT: number;
  /** New points wait to be drawn. */
  dirty: boolean;
}

const perSecond = (n: number, t: Tick): number => (n * 1000) / t.spanMs;

/**
 * The scrolling charts (last minutes, fault windows shaded): invocations/s per zone; errors,
 * throttles, cold starts and failovers per second; p50 and p99; async queue and dead letters; the
 * cost so far. Points are appended as ticks arrive (never rebuilt), animation is off, and a click
 * on the errors chart explains a failed invocation of that moment.
 */
export class Charts {
  readonly #series: SeriesBuffer;
  readonly #charts = new Map<string, ChartState>();
  #windows: FaultWindowView[] = [];
  #now = Date.now();

  constructor(root: HTMLElement, series: SeriesBuffer, onExplain: (requestId: string) => void) {
    this.#series = series;
    const bands = this.#bandPlugin();
    const add = (id: string, title: string, yTitle: string, specs: SeriesSpec[], click?: boolean): void => {
      const canvas = root.querySelector<HTMLCanvasElement>(`canvas[data-chart="${id}"]`);
      if (!canvas) throw new Error(`no canvas for chart ${id}`);
      const config: ChartConfiguration<'line', Point[]> = {
        type: 'line',
        data: { datasets: specs.map((s) => this.#dataset(s)) },
        options: {
          animation: false,
          parsing: false,
          normalized: true,
          responsive: true,
          maintainAspectRatio: false,
          spanGaps: false,
          interaction: { mode: 'nearest', axis: 'x', intersect: false },
          scales: {
            x: {
              type: 'linear',
              ticks: { maxTicksLimit: 7, callback: (v) => `${Math.round((Number(v) - this.#now) / 1000)} s` },
              grid: { display: false },
            },
            y: { beginAtZero: true, title: { display: true, text: yTitle } },
          },
          plugins: {
            title: { display: true, text: title, align: 'start', font: { size: 15 } },
            legend: { position: 'bottom', labels: { boxWidth: 12 } },
            tooltip: { enabled: true },
          },
          ...(click
            ? {
                onClick: (event) => {
                  const chart = this.#charts.get(id)?.chart;
                  if (!chart || event.x === null) return;
                  const x = chart.scales['x']!;
                  const t = x.getValueForPixel(event.x);
                  const near = x.getValueForPixel(event.x + 10);
                  if (t === undefined || near === undefined) return;
                  // The failed tick nearest the click, within 10 px.
                  const failed = series.nearestFailed(t, Math.abs(near - t))?.failed[0];
                  if (failed) onExplain(failed);
                },
              }
            : {}),
        },
        plugins: [bands],
      };
      this.#charts.set(id, { chart: new Chart(canvas, config), specs, lastT: 0, dirty: false });
    };
    add('rates', 'Invocations per second, by zone', 'per second', []);
    add('errors', 'Errors, throttles, cold starts, failovers (click a point to explain a failure)', 'per second', [
      { key: 'errors', label: 'errors', colour: '#D55E00', value: (t) => perSecond(t.total.errors, t) },
      { key: 'throttles', label: 'throttles', colour: '#CC79A7', value: (t) => perSecond(t.total.throttles, t) },
      { key: 'cold', label: 'cold starts', colour: '#56B4E9', value: (t) => perSecond(t.total.coldStarts, t) },
      { key: 'failovers', label: 'failovers', colour: '#000000', value: (t) => perSecond(t.total.failovers, t), dashed: true },
    ], true);
    add('latency', 'End-to-end latency', 'ms', [
      { key: 'p50', label: 'p50', colour: '#0072B2', value: (t) => t.total.p50Ms },
      { key: 'p99', label: 'p99', colour: '#E69F00', value: (t) => t.total.p99Ms },
    ]);
    add('async', 'Async queue and dead letters', 'events', [
      { key: 'queue', label: 'queued or running', colour: '#009E73', value: (t) => t.asyncQueued },
      { key: 'dead', label: 'dead letters', colour: '#D55E00', value: (t) => t.deadLetters },
    ]);
    add('cost', 'Cost so far', 'USD', [{ key: 'cost', label: 'cost', colour: '#0072B2', value: (t) => t.costUsd }]);
  }

  /** The chart objects, by id (tests read them through the page). */
  chart(id: string): LineChart | undefined {
    return this.#charts.get(id)?.chart;
  }

  /**
   * Draws one chart that has new points (without animation); true when others still wait. One per
   * animation frame: five charts never land in the same frame.
   */
  drawNext(): boolean {
    const next = [...this.#charts.values()].find((s) => s.dirty);
    if (!next) return false;
    next.dirty = false;
    next.chart.update('none');
    return [...this.#charts.values()].some((s) => s.dirty);
  }

  /** Appends the ticks not drawn yet and drops those out of the window; {@link drawNext} draws. */
  append(windows: FaultWindowView[]): void {
    const ticks = this.#series.ticks;
    const latest = ticks[ticks.length - 1];
    if (!latest) return;
    this.#now = latest.t;
    this.#windows = windows;
    // The window grows from one minute to its full length as the run does: a new class's first
    // minute fills the width instead of a sliver at the right edge.
    const first = ticks[0]!.t;
    const min = Math.max(latest.t - this.#series.windowMs, Math.min(first, latest.t - 60_000));
    this.#syncZones();
    for (const state of this.#charts.values()) {
      const fresh = ticks.filter((t) => t.t > state.lastT);
      state.specs.forEach((spec, i) => {
        const data = state.chart.data.datasets[i]!.data;
        for (const t of fresh) data.push({ x: t.t, y: spec.value(t) });
        let drop = 0;
        while (drop < data.length && data[drop]!.x < min) drop++;
        if (drop > 0) data.splice(0, drop);
      });
      state.lastT = latest.t;
      const x = state.chart.options.scales!['x']!;
      x.min = min;
      x.max = latest.t;
      state.dirty = true;
    }
  }

  /** A dataset per zone on the rates chart, back-filled from the buffer when a zone first appears. */
  #syncZones(): void {
    const state = this.#charts.get('rates')!;
    const zones = this.#series.zones().filter((z) => z !== NO_ZONE);
    for (const zone of zones) {
      if (state.specs.some((s) => s.key === zone)) continue;
      const spec: SeriesSpec = {
        key: zone,
        label: zone,
        colour: ZONE_COLOURS[state.specs.length % ZONE_COLOURS.length]!,
        value: (t) => perSecond(t.zones[zone]?.invocations ?? 0, t),
      };
      const dataset = this.#dataset(spec);
      for (const t of this.#series.ticks) if (t.t <= state.lastT) dataset.data.push({ x: t.t, y: spec.value(t) });
      state.specs.push(spec);
      state.chart.data.datasets.push(dataset);
    }
  }

  #dataset(spec: SeriesSpec): ChartDataset<'line', Point[]> {
    return {
      label: spec.label,
      data: [],
      borderColor: spec.colour,
      backgroundColor: spec.colour,
      borderWidth: 2,
      // Only the errors line shows points (where there were errors: those are clickable); a
      // scriptable option on every dataset would be resolved for every point at every update.
      pointRadius: spec.key === 'errors' ? (ctx) => (((ctx.raw as Point | undefined)?.y ?? 0) > 0 ? 2.5 : 0) : 0,
      pointHitRadius: spec.key === 'errors' ? 6 : 0,
      tension: 0,
      ...(spec.dashed ? { borderDash: [6, 4] } : {}),
    };
  }

  /** Shades each fault window over the chart area and names it at the top. */
  #bandPlugin(): Plugin<'line'> {
    return {
      id: 'zonesimFaultBands',
      beforeDatasetsDraw: (chart) => {
        const x = chart.scales['x'];
        if (!x || this.#windows.length === 0) return;
        const { ctx, chartArea } = chart;
        ctx.save();
        for (const w of this.#windows) {
          const from = Math.max(chartArea.left, x.getPixelForValue(w.startAt));
          const to = Math.min(chartArea.right, x.getPixelForValue(w.endAt ?? this.#now));
          if (to <= from) continue;
          ctx.fillStyle = 'rgba(213, 94, 0, 0.13)';
          ctx.fillRect(from, chartArea.top, to - from, chartArea.bottom - chartArea.top);
          ctx.fillStyle = '#8a3b00';
          ctx.font = '12px system-ui, sans-serif';
          ctx.fillText(`${w.action} ${w.target}`.slice(0, 40), from + 3, chartArea.top + 12);
        }
        ctx.restore();
      },
    };
  }
}
