/** Tiny DOM helpers: the page builds its elements with these, never with innerHTML (no escaping to forget). */

type Child = Node | string | null | undefined | false;

/** Creates an element with attributes (`class`, `data-*`, `title`...) and children. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

/** The element with this id, which the page's HTML must have. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
}

/** Sets text only when it changed (cheap re-renders). */
export function setText(e: Element, text: string): void {
  if (e.textContent !== text) e.textContent = text;
}

/** Sets an attribute only when it changed. */
export function setAttr(e: Element, name: string, value: string): void {
  if (e.getAttribute(name) !== value) e.setAttribute(name, value);
}

/** `12:34:56.789` in local time. */
export function clockTime(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A rate for a panel: `1,234/s`, `12.5/s`, `0/s`. */
export function formatRate(perSecond: number): string {
  if (perSecond >= 100) return `${Math.round(perSecond).toLocaleString('en-US')}/s`;
  if (perSecond >= 10) return `${perSecond.toFixed(0)}/s`;
  return `${perSecond === 0 ? '0' : perSecond.toFixed(1)}/s`;
}

/** Milliseconds: `0.8 ms`, `23 ms`, `1.2 s`; a dash when unknown. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** Dollars with enough digits for a tiny bill. */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 0.01) return `$${usd.toPrecision(3)}`;
  return `$${usd.toFixed(4)}`;
}
