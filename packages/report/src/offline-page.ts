import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * What every self-contained page zonesim writes shares (the run report, a study's page): the
 * escaping of text, data and inlined scripts, the Content-Security-Policy that keeps the page from
 * fetching anything, and Chart.js read from node_modules to be inlined.
 */

/** No network, inline script and style only, images from data: URLs. */
export const OFFLINE_PAGE_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

/** The page's start, to `<body>`: its policy, its title and its inlined style sheet. */
export function offlinePageHead(title: string, css: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${OFFLINE_PAGE_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${css}</style>
</head>
<body>`;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON inside `<script>`: "<" is escaped so that no "</script>" or "<!--" in a name or value ends it. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Inline script text: "</script" inside a library would end the element early. */
export function scriptText(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1');
}

/**
 * Chart.js's UMD build from node_modules (resolved like an import, so the installed version is
 * used; the UMD build is not in its `exports` map, so it is found beside the main file).
 */
export function readChartJs(options: { signal?: AbortSignal } = {}): Promise<string> {
  const chartDist = dirname(createRequire(import.meta.url).resolve('chart.js'));
  return readFile(join(chartDist, 'chart.umd.min.js'), { encoding: 'utf8', ...(options.signal && { signal: options.signal }) });
}
