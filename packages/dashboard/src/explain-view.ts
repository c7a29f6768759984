import type { ApiClient } from './api-client.js';
import { clockTime, el, formatMs, formatUsd } from './dom.js';
import type { InvocationStory, NotableInvocation, NotableKind } from './feed-types.js';

/** Notable invocations listed at most. */
const MAX_LISTED = 40;

const KIND_LABEL: Record<NotableKind, string> = {
  'failed-over': 'failed over',
  lost: 'lost',
  failed: 'failed',
  throttled: 'throttled',
  retried: 'retried',
  'dead-lettered': 'dead-lettered',
};

/**
 * "Explain this invocation": a request id typed in, picked from the list of notable invocations
 * (failed over, lost, failed, throttled, retried, dead-lettered), or clicked on a chart; the story
 * comes from `GET /zonesim/v1/invocations/{requestId}` and is drawn as a timeline with its REPORT
 * line, its cost and its log.
 */
export class ExplainView {
  readonly #api: ApiClient;
  readonly #input: HTMLInputElement;
  readonly #list: HTMLOListElement;
  readonly #story: HTMLElement;
  readonly #filter: HTMLSelectElement;
  #notable: NotableInvocation[] = [];
  #listDirty = true;
  #current: AbortController | undefined;

  constructor(root: HTMLElement, api: ApiClient) {
    this.#api = api;
    this.#input = el('input', { type: 'text', id: 'explain-id', placeholder: 'request id', spellcheck: 'false', autocomplete: 'off', 'aria-label': 'request id to explain' });
    const button = el('button', { type: 'submit', id: 'explain-go' }, 'Explain');
    const form = el('form', { class: 'explain-form' }, this.#input, button);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const id = this.#input.value.trim();
      if (id) void this.explain(id);
    });
    this.#filter = el('select', { 'aria-label': 'which invocations to list', id: 'explain-filter' },
      el('option', { value: '' }, 'all notable'),
      ...(Object.keys(KIND_LABEL) as NotableKind[]).map((k) => el('option', { value: k }, KIND_LABEL[k])));
    this.#filter.addEventListener('change', () => {
      this.#listDirty = true;
      this.render();
    });
    this.#list = el('ol', { class: 'notable', id: 'notable-list', reversed: true });
    this.#story = el('div', { class: 'story', id: 'story', 'aria-live': 'polite' }, el('p', { class: 'hint' }, 'Pick an invocation to see what happened to it.'));
    root.append(el('div', { class: 'explain-pick' }, form, el('label', {}, 'List: ', this.#filter), this.#list), this.#story);
  }

  /** New notable invocations from the feed. */
  add(items: NotableInvocation[]): void {
    if (items.length === 0) return;
    this.#notable.push(...items);
    if (this.#notable.length > 500) this.#notable = this.#notable.slice(-250);
    this.#listDirty = true;
  }

  render(): void {
    if (!this.#listDirty) return;
    this.#listDirty = false;
    const kind = this.#filter.value;
    const items = this.#notable.filter((n) => kind === '' || n.kind === kind).slice(-MAX_LISTED).reverse();
    this.#list.replaceChildren(
      ...items.map((n) => {
        const a = el('a', { href: `#explain=${encodeURIComponent(n.requestId)}`, 'data-request-id': n.requestId, 'data-kind': n.kind },
          el('span', { class: `kind kind-${n.kind}` }, KIND_LABEL[n.kind]), ` ${n.functionName}${n.zone ? ` in ${n.zone}` : ''} at ${clockTime(n.at)}`);
        a.addEventListener('click', (e) => {
          e.preventDefault();
          void this.explain(n.requestId);
        });
        return el('li', {}, a);
      }),
    );
  }

  /** Fetches and draws one invocation's story. */
  async explain(requestId: string): Promise<void> {
    this.#current?.abort();
    const controller = new AbortController();
    this.#current = controller;
    this.#input.value = requestId;
    this.#story.replaceChildren(el('p', { class: 'hint' }, `Looking up ${requestId} ...`));
    this.#story.removeAttribute('data-request-id');
    try {
      const story = await this.#api.call<InvocationStory>('GET', `/zonesim/v1/invocations/${encodeURIComponent(requestId)}`, undefined, { signal: controller.signal });
      if (controller.signal.aborted) return;
      this.#draw(story);
    } catch (err) {
      if (controller.signal.aborted) return;
      this.#story.replaceChildren(el('p', { class: 'error' }, `Could not explain ${requestId}: ${(err as Error).message}`));
    }
  }

  #draw(s: InvocationStory): void {
    const t0 = s.steps[0]?.at ?? 0;
    const steps = el('ol', { class: 'steps' },
      ...s.steps.map((step) =>
        el('li', { class: `step step-${step.kind}`, 'data-kind': step.kind },
          el('time', { title: new Date(step.at).toISOString() }, `${clockTime(step.at)} (+${formatMs(step.at - t0)})`),
          el('strong', {}, step.title),
          step.detail ? el('span', { class: 'detail' }, step.detail) : null,
        ),
      ),
    );
    const attempts = el('table', { class: 'attempts' },
      el('thead', {}, el('tr', {}, ...['attempt', 'outcome', 'zone', 'node', 'cold', 'duration', 'billed', 'cost'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, ...s.attempts.map((a) =>
        el('tr', {},
          el('th', { scope: 'row' }, String(a.attempt)),
          el('td', {}, a.outcome + (a.errorType ? ` (${a.errorType})` : '')),
          el('td', {}, a.zone ?? '–'),
          el('td', {}, a.nodeId ?? '–'),
          el('td', {}, a.cold === undefined ? '–' : a.cold ? 'cold' : a.provisioned ? 'provisioned' : 'warm'),
          el('td', { class: 'num' }, formatMs(a.durationMs)),
          el('td', { class: 'num' }, `${a.billedMs} ms`),
          el('td', { class: 'num' }, formatUsd(a.costUsd)),
        ))),
    );
    const report = s.report
      ? el('div', { class: 'report' }, el('h4', {}, `REPORT line ${s.report.source === 'log' ? '(from its log)' : '(rebuilt from the ledger record: its log has not arrived)'}`), el('pre', { class: 'report-line' }, s.report.line))
      : el('p', { class: 'hint' }, s.verdict === 'lost' ? 'No REPORT line: no result came back from the lost zone (it may have run there).' : 'No REPORT line: the function never ran.');
    const log = s.logLines.length
      ? el('details', { class: 'log' }, el('summary', {}, `Log (${s.logLines.length} lines)`), el('pre', {}, s.logLines.map((l) => l.line).join('\n')))
      : null;
    this.#story.replaceChildren(
      el('h3', {}, el('code', {}, s.requestId), ` · ${s.functionName}:${s.version} · ${s.invocationType}`),
      el('p', { class: `summary verdict-${s.verdict}` }, s.summary),
      el('p', { class: 'tags' }, ...s.tags.map((t) => el('span', { class: `tag tag-${t}`, 'data-tag': t }, t))),
      steps,
      attempts,
      report,
      el('p', { class: 'cost' }, `Cost: ${formatUsd(s.cost.totalUsd)} (requests ${formatUsd(s.cost.requestsUsd)}, duration ${formatUsd(s.cost.durationUsd)})${s.source === 'ledger-files' ? ' · read from the ledger files' : ''}`),
      ...(log ? [log] : []),
    );
    this.#story.setAttribute('data-request-id', s.requestId);
    this.#input.value = s.requestId;
  }
}
