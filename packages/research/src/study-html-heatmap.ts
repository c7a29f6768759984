import { escapeHtml } from '@zonesim/report';
import { formatValue, metricUnit } from './study-html-data.js';
import type { StudyDocument } from './study-files.js';

/**
 * The heatmaps of a two-axis study, as plain HTML tables coloured here (no chart plugin, and the
 * colours are part of the deterministic page): the first axis down, the second across, each cell's
 * mean printed on its colour with its 95 % interval below.
 */

// Viridis at five stops: ordered in lightness, readable in grey and with colour-vision deficiencies.
const VIRIDIS: ReadonlyArray<readonly [number, number, number]> = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** The viridis colour at t in 0..1, with the text colour that reads on it. */
export function viridis(t: number): { background: string; text: string } {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0.5)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(u));
  const f = u - i;
  const [a, b] = [VIRIDIS[i]!, VIRIDIS[i + 1]!];
  const hex = [0, 1, 2].map((k) => Math.round(a[k]! + (b[k]! - a[k]!) * f).toString(16).padStart(2, '0')).join('');
  return { background: `#${hex}`, text: u < 2.4 ? '#ffffff' : '#000000' };
}

const GRADIENT = `linear-gradient(to right, ${VIRIDIS.map((c) => `rgb(${c.join(',')})`).join(', ')})`;

/** One metric's heatmap; the study must have exactly two axes. */
export function heatmapHtml(doc: StudyDocument, metric: { name: string; description: string }): string {
  const [rowAxis, colAxis] = doc.plan.axes as [StudyDocument['plan']['axes'][number], StudyDocument['plan']['axes'][number]];
  const cellAt = new Map(doc.cells.map((c) => [`${c.values[rowAxis.field]}\u0000${c.values[colAxis.field]}`, c]));
  const means = doc.cells.map((c) => c.metrics[metric.name]?.mean).filter((m): m is number => typeof m === 'number');
  const lo = Math.min(...means);
  const hi = Math.max(...means);
  const { unit } = metricUnit(metric.name);
  const head = `<tr><th scope="col" class="corner">${escapeHtml(rowAxis.field)} \\ ${escapeHtml(colAxis.field)}</th>${colAxis.values.map((v) => `<th scope="col">${escapeHtml(v)}</th>`).join('')}</tr>`;
  const rows = rowAxis.values
    .map((rv) => {
      const tds = colAxis.values.map((cv) => {
        const cell = cellAt.get(`${rv}\u0000${cv}`);
        const s = cell?.metrics[metric.name];
        if (!cell || !s || s.mean === null) return `<td class="hm-empty">-</td>`;
        const { background, text } = viridis(hi > lo ? (s.mean - lo) / (hi - lo) : 0.5);
        const ci = s.ci95 ? `[${formatValue(s.ci95[0])}, ${formatValue(s.ci95[1])}]` : `n=${s.n}`;
        return `<td style="background:${background};color:${text}" title="${escapeHtml(`${cell.id}: mean ${s.mean}, n=${s.n}`)}"><span class="hm-v">${formatValue(s.mean)}</span><span class="hm-ci">${ci}</span></td>`;
      });
      return `<tr><th scope="row">${escapeHtml(rv)}</th>${tds.join('')}</tr>`;
    })
    .join('\n');
  const scale = `<div class="hm-scale"><span>${formatValue(lo)}</span><span class="hm-bar" style="background:${GRADIENT}"></span><span>${formatValue(hi)}</span></div>`;
  return `<figure class="hm" data-metric="${escapeHtml(metric.name)}"><figcaption>${escapeHtml(metric.name)}${unit ? ` <span class="unit">(${escapeHtml(unit)})</span>` : ''}</figcaption><p class="desc">${escapeHtml(metric.description)}</p><div class="table-wrap"><table class="heatmap"><thead>${head}</thead><tbody>${rows}</tbody></table></div>${scale}</figure>`;
}
