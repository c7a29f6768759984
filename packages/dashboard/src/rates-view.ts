import { el, formatMs, formatRate, formatUsd, setAttr, setText } from './dom.js';
import { NO_ZONE, type SeriesBuffer } from './series-buffer.js';

interface Row {
  tr: HTMLTableRowElement;
  cells: HTMLTableCellElement[];
}

/**
 * The live numbers: per zone and in total, invocations, errors, throttles and cold starts per
 * second over the last second, p50 and p99; then the async queue, dead letters, failovers and the
 * cost so far. Each cell carries its value in `data-value` for tests and scripts.
 */
export class RatesView {
  readonly #body: HTMLTableSectionElement;
  readonly #rows = new Map<string, Row>();
  readonly #gauges: Record<string, HTMLElement> = {};

  constructor(root: HTMLElement) {
    const head = el('thead', {}, el('tr', {}, ...['zone', 'invocations', 'errors', 'throttles', 'cold starts', 'p50', 'p99'].map((h) => el('th', { scope: 'col' }, h))));
    this.#body = el('tbody');
    const gauges = el('dl', { class: 'gauges' });
    for (const [key, label] of [
      ['async', 'async queue'],
      ['dead', 'dead letters'],
      ['failovers', 'failovers (last minute)'],
      ['retries', 'retries (last minute)'],
      ['cost', 'cost so far'],
    ] as const) {
      const dd = el('dd', { 'data-gauge': key }, '–');
      this.#gauges[key] = dd;
      gauges.append(el('div', {}, el('dt', {}, label), dd));
    }
    root.append(el('table', { class: 'rates' }, head, this.#body), gauges);
  }

  render(series: SeriesBuffer): void {
    const zones = [...series.zones().filter((z) => z !== NO_ZONE), 'total'];
    for (const zone of zones) {
      const row = this.#rows.get(zone) ?? this.#row(zone);
      const r = series.rates(zone === 'total' ? undefined : zone);
      const values: Array<[string, number | null]> = [
        [formatRate(r.invocations), r.invocations],
        [formatRate(r.errors), r.errors],
        [formatRate(r.throttles), r.throttles],
        [formatRate(r.coldStarts), r.coldStarts],
        [formatMs(r.p50Ms), r.p50Ms],
        [formatMs(r.p99Ms), r.p99Ms],
      ];
      values.forEach(([text, value], i) => {
        const cell = row.cells[i]!;
        setText(cell, text);
        setAttr(cell, 'data-value', value === null ? '' : value.toFixed(2));
      });
    }
    const latest = series.latest;
    if (!latest) return;
    const minute = series.ticks.filter((t) => t.t > latest.t - 60_000);
    setText(this.#gauges['async']!, latest.asyncQueued === null ? '–' : String(latest.asyncQueued));
    setText(this.#gauges['dead']!, latest.deadLetters === null ? '–' : String(latest.deadLetters));
    setText(this.#gauges['failovers']!, String(minute.reduce((n, t) => n + t.total.failovers, 0)));
    setText(this.#gauges['retries']!, String(minute.reduce((n, t) => n + t.total.retries, 0)));
    setText(this.#gauges['cost']!, formatUsd(latest.costUsd));
  }

  #row(zone: string): Row {
    const cells = Array.from({ length: 6 }, () => el('td', { class: 'num' }));
    const tr = el('tr', { 'data-zone': zone, ...(zone === 'total' ? { class: 'total' } : {}) }, el('th', { scope: 'row' }, zone), ...cells);
    // Zones in name order, the total last.
    const before = zone === 'total' ? null : [...this.#rows.entries()].find(([z]) => z === 'total' || z > zone)?.[1].tr ?? null;
    this.#body.insertBefore(tr, before);
    const row = { tr, cells };
    this.#rows.set(zone, row);
    return row;
  }
}
