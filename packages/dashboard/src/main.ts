/**
 * The live dashboard (issue 9): the coordinator's feed drawn as the region's topology, live rates,
 * scrolling charts with fault windows, controls that fail zones, and "explain this invocation".
 * Messages only update the model; drawing happens once per animation frame at most, so a burst of
 * messages never costs more than one render.
 */
import { ApiClient, ApiError } from './api-client.js';
import { Charts } from './charts.js';
import { byId, el, setText } from './dom.js';
import { ExplainView } from './explain-view.js';
import { FeedClient, type FeedState } from './feed-client.js';
import type { ControlsView, FaultWindowView, FeedMessage, Topology } from './feed-types.js';
import { PerfProbe, type PerfMetrics } from './perf-probe.js';
import { RatesView } from './rates-view.js';
import { SeriesBuffer } from './series-buffer.js';
import { TopologyView, type ControlRequest } from './topology-view.js';

/** What the page exposes to scripts and tests. */
interface DashboardHandle {
  metrics(): PerfMetrics;
  resetMetrics(): void;
  explain(requestId: string): Promise<void>;
  feedState(): FeedState;
}

declare global {
  interface Window {
    zonesimDashboard?: DashboardHandle;
  }
}

/** The charts' window: the last five minutes. */
const WINDOW_MS = 5 * 60_000;
const EVENTS_PATH = '/zonesim/v1/dashboard/events';

const api = new ApiClient();
const probe = new PerfProbe();
const series = new SeriesBuffer(WINDOW_MS);
const messages = byId('messages');
let topology: Topology | undefined;
let controls: ControlsView = { enabled: false, supervised: false, scenarios: [], active: [] };
let faults: FaultWindowView[] = [];
let feedState: FeedState = 'connecting';
let pending = false;
/** A message changed the model since the last frame. */
let changed = false;

function say(text: string, kind: 'info' | 'error' = 'info'): void {
  const item = el('li', { class: kind }, `${new Date().toLocaleTimeString()} ${text}`);
  messages.prepend(item);
  while (messages.children.length > 6) messages.lastElementChild?.remove();
}

async function control(r: ControlRequest): Promise<void> {
  const body = r.latencyMs !== undefined ? { latencyMs: r.latencyMs } : {};
  say(`${r.action} ${r.zone} ...`);
  try {
    controls = await api.call<ControlsView>('POST', `/zonesim/v1/control/zones/${encodeURIComponent(r.zone)}/${r.action}`, body);
    say(`${r.action} ${r.zone}: done`);
    schedule();
  } catch (err) {
    say(`${r.action} ${r.zone} failed: ${(err as Error).message}`, 'error');
  }
}

const topologyView = new TopologyView(byId('topology'), (r) => void control(r));
const ratesView = new RatesView(byId('rates'));
const explainView = new ExplainView(byId('explain'), api);
const charts = new Charts(byId('charts'), series, (id) => {
  location.hash = `explain=${encodeURIComponent(id)}`;
});

// Scenario controls.
const scenarioSelect = byId<HTMLSelectElement>('scenario-select');
const scenarioStart = byId<HTMLButtonElement>('scenario-start');
const scenarioStop = byId<HTMLButtonElement>('scenario-stop');
const scenarioStatus = byId('scenario-status');
scenarioStart.addEventListener('click', () => {
  const name = scenarioSelect.value;
  if (!name) return;
  say(`starting scenario ${name} ...`);
  api.call<ControlsView>('POST', `/zonesim/v1/control/scenarios/${encodeURIComponent(name)}`, {}).then(
    (c) => {
      controls = c;
      say(`scenario ${name} started`);
      schedule();
    },
    (err: Error) => say(`scenario ${name}: ${err.message}`, 'error'),
  );
});
scenarioStop.addEventListener('click', () => {
  api.call<ControlsView>('DELETE', '/zonesim/v1/control/scenario').then(
    (c) => {
      controls = c;
      schedule();
    },
    (err: Error) => say(`stop scenario: ${err.message}`, 'error'),
  );
});

function renderScenario(): void {
  const names = controls.scenarios;
  if (scenarioSelect.options.length !== names.length || [...scenarioSelect.options].some((o, i) => o.value !== names[i])) {
    scenarioSelect.replaceChildren(...names.map((n) => el('option', { value: n }, n)));
  }
  const running = controls.scenario?.state === 'running';
  const blocked = !controls.enabled || !controls.supervised;
  scenarioSelect.disabled = blocked || running || names.length === 0;
  scenarioStart.disabled = blocked || running || names.length === 0;
  scenarioStop.disabled = blocked || !running;
  const s = controls.scenario;
  setText(scenarioStatus, s ? `${s.name}: ${s.state}${s.endsAt && s.state === 'running' ? `, ends in ${Math.max(0, Math.round((s.endsAt - Date.now()) / 1000))} s` : ''}${s.message ? ` (${s.message})` : ''}` : '');
  setText(byId('controls-status'), controls.enabled ? (controls.supervised ? 'controls on' : `controls partly on: ${controls.reason ?? ''}`) : `controls off: ${controls.reason ?? ''}`);
}

/**
 * One animation frame of work: the DOM (topology, rates, lists) when the model changed, then one
 * chart; the other charts follow in the next frames. Messages never draw: they mark the model
 * changed, so however many arrive, a frame carries at most one update of each part.
 */
function frame(): void {
  pending = false;
  const started = performance.now();
  if (changed) {
    changed = false;
    if (topology) topologyView.render(topology, controls, series);
    ratesView.render(series);
    charts.append(faults);
    explainView.render();
    renderScenario();
  }
  const more = charts.drawNext();
  probe.render(performance.now() - started);
  if (more) request();
}

function request(): void {
  if (pending) return;
  pending = true;
  requestAnimationFrame(frame);
}

function schedule(): void {
  changed = true;
  request();
}

function onMessage(m: FeedMessage, bytes: number): void {
  if (m.type === 'hello') {
    for (const t of m.history) series.add(t);
    setText(byId('region'), m.region);
  } else series.add(m.tick);
  topology = m.topology;
  controls = m.controls;
  faults = m.faults;
  explainView.add(m.notable);
  probe.message(bytes, m.type === 'update' ? m.tick.total.invocations : 0);
  document.body.dataset['feed'] = 'live';
  schedule();
}

function onState(s: FeedState): void {
  feedState = s;
  const status = byId('status');
  setText(status, s);
  status.dataset['state'] = s;
}

const feed = new FeedClient({ api, path: EVENTS_PATH, onMessage, onState });

// Sign-in, only when the API requires SigV4 (the page and its files are served unsigned).
const auth = byId<HTMLFormElement>('auth');
auth.addEventListener('submit', (e) => {
  e.preventDefault();
  const id = byId<HTMLInputElement>('auth-key').value.trim();
  const secret = byId<HTMLInputElement>('auth-secret').value;
  api.setCredentials(id && secret ? { accessKeyId: id, secretAccessKey: secret } : undefined);
  void begin();
});

async function begin(): Promise<void> {
  try {
    controls = await api.call<ControlsView>('GET', '/zonesim/v1/control');
    auth.hidden = true;
    feed.open();
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) {
      auth.hidden = false;
      onState('unauthorized');
      say(`the API requires a signature: ${err.message}`, 'error');
      return;
    }
    say(`cannot reach the coordinator: ${(err as Error).message}; retrying`, 'error');
    setTimeout(() => void begin(), 2000);
  }
}

function explainFromHash(): void {
  const m = /^#explain=(.+)$/.exec(location.hash);
  if (m) void explainView.explain(decodeURIComponent(m[1]!));
}
window.addEventListener('hashchange', explainFromHash);

// Footer: the page's own responsiveness, for the teacher and for the benchmark.
setInterval(() => {
  const m = probe.metrics();
  setText(byId('perf'), `feed ${m.messagesPerSecond.toFixed(1)} msg/s · frame p95 ${m.frameP95Ms.toFixed(0)} ms · long tasks ${m.longTasks} · render p95 ${m.renderP95Ms.toFixed(1)} ms`);
}, 1000);

window.zonesimDashboard = {
  metrics: () => probe.metrics(),
  resetMetrics: () => probe.reset(),
  explain: (id) => explainView.explain(id),
  feedState: () => feedState,
};

probe.start();
explainFromHash();
void begin();
