import { el, formatRate, setAttr, setText } from './dom.js';
import type { ControlAction, ControlsView, EnvironmentState, NodeView, Topology, ZoneView } from './feed-types.js';
import type { SeriesBuffer } from './series-buffer.js';

/** What a control button asks for. */
export type ControlRequest = { zone: string; action: ControlAction | 'heal'; latencyMs?: number };

const ACTIONS: Array<{ action: ControlAction | 'heal'; label: string; title: string; supervised: boolean }> = [
  { action: 'kill', label: 'Kill', title: 'Power loss: SIGKILL every node of the zone (heal restarts them)', supervised: true },
  { action: 'freeze', label: 'Freeze', title: 'SIGSTOP every node of the zone: it stops answering (heal thaws it)', supervised: true },
  { action: 'partition', label: 'Partition', title: 'Cut the zone\'s links to the coordinator, both ways', supervised: true },
  { action: 'latency', label: 'Latency', title: 'Add latency to the zone\'s links', supervised: true },
  { action: 'gray', label: 'Gray', title: 'Gray failure: 5x slower, 30% of invocations fail; heartbeats look fine', supervised: false },
  { action: 'heal', label: 'Heal', title: 'Undo every fault on this zone', supervised: false },
];

const STATE_LABEL: Record<EnvironmentState, string> = { initializing: 'initializing', busy: 'busy', 'warm-idle': 'warm idle', frozen: 'frozen', evicted: 'evicted' };

interface NodeCard {
  root: HTMLElement;
  head: HTMLElement;
  envs: HTMLElement;
  counts: HTMLElement;
}

interface ZoneCard {
  root: HTMLElement;
  /** The health last drawn (the feed time it was first reported is the root's `data-health-since`). */
  health: string;
  badge: HTMLElement;
  faults: HTMLElement;
  rate: HTMLElement;
  nodes: HTMLElement;
  buttons: Map<string, HTMLButtonElement>;
  latency: HTMLSelectElement;
  cards: Map<string, NodeCard>;
}

/**
 * Region -> zones -> nodes -> environments. Zones are cards coloured by health with their
 * controls; each node shows its environments as small squares coloured by state. Elements are
 * kept and updated in place (never rebuilt), so a render at any load is a few hundred property
 * writes at most.
 */
export class TopologyView {
  readonly #root: HTMLElement;
  readonly #title: HTMLElement;
  readonly #zonesEl: HTMLElement;
  readonly #zones = new Map<string, ZoneCard>();
  readonly #onControl: (r: ControlRequest) => void;

  constructor(root: HTMLElement, onControl: (r: ControlRequest) => void) {
    this.#root = root;
    this.#onControl = onControl;
    this.#title = el('h2', {}, 'Region');
    this.#zonesEl = el('div', { class: 'zones' });
    root.append(this.#title, this.#zonesEl);
  }

  render(topology: Topology, controls: ControlsView, series: SeriesBuffer): void {
    setText(this.#title, `Region ${topology.region}`);
    const seen = new Set<string>();
    for (const z of topology.zones) {
      seen.add(z.zone);
      const card = this.#zones.get(z.zone) ?? this.#zoneCard(z.zone);
      this.#renderZone(card, z, controls, series);
    }
    for (const [zone, card] of this.#zones) {
      if (!seen.has(zone)) {
        card.root.remove();
        this.#zones.delete(zone);
      }
    }
    setAttr(this.#root, 'data-zones', String(topology.zones.length));
  }

  #zoneCard(zone: string): ZoneCard {
    const buttons = new Map<string, HTMLButtonElement>();
    const latency = el('select', { class: 'latency-ms', 'aria-label': `latency to add to ${zone}`, 'data-zone': zone },
      ...[100, 300, 1000, 3000].map((ms) => el('option', { value: ms, ...(ms === 300 ? { selected: true } : {}) }, `${ms} ms`)));
    const controls = el('div', { class: 'zone-controls' });
    for (const a of ACTIONS) {
      const b = el('button', { type: 'button', class: `control control-${a.action}`, 'data-zone': zone, 'data-action': a.action, title: a.title }, a.label);
      b.addEventListener('click', () => this.#onControl({ zone, action: a.action, ...(a.action === 'latency' ? { latencyMs: Number(latency.value) } : {}) }));
      buttons.set(a.action, b);
      controls.append(b);
      if (a.action === 'latency') controls.append(latency);
    }
    const badge = el('span', { class: 'badge' });
    const faults = el('span', { class: 'zone-faults' });
    const rate = el('div', { class: 'zone-rate' });
    const nodes = el('div', { class: 'nodes' });
    const root = el('article', { class: 'zone', 'data-zone': zone }, el('header', {}, el('h3', {}, zone), badge, faults), rate, controls, nodes);
    const card: ZoneCard = { root, health: '', badge, faults, rate, nodes, buttons, latency, cards: new Map() };
    // Zones keep their order by name.
    const after = [...this.#zones.keys()].filter((z) => z > zone).sort()[0];
    this.#zonesEl.insertBefore(root, after ? this.#zones.get(after)!.root : null);
    this.#zones.set(zone, card);
    return card;
  }

  #renderZone(card: ZoneCard, z: ZoneView, controls: ControlsView, series: SeriesBuffer): void {
    if (card.health !== z.health) {
      // When the feed first reported this health (its tick's time): what detection is measured by.
      card.health = z.health;
      setAttr(card.root, 'data-health-since', String(series.latest?.t ?? Date.now()));
    }
    setAttr(card.root, 'data-health', z.health);
    setAttr(card.root, 'class', `zone health-${z.health}`);
    setText(card.badge, z.health);
    setText(card.faults, z.faults.join(' · '));
    const r = series.rates(z.zone);
    setAttr(card.rate, 'data-rate', r.invocations.toFixed(1));
    setText(card.rate, `${formatRate(r.invocations)} invocations · ${formatRate(r.errors)} errors`);
    const active = new Set(controls.active.filter((a) => a.zone === z.zone).map((a) => a.action as string));
    for (const a of ACTIONS) {
      const b = card.buttons.get(a.action)!;
      const blocked = !controls.enabled ? controls.reason ?? 'controls are off' : a.supervised && !controls.supervised ? controls.reason ?? 'no supervisor' : '';
      b.disabled = blocked !== '';
      setAttr(b, 'title', blocked || a.title);
      setAttr(b, 'aria-pressed', String(active.has(a.action)));
    }
    card.latency.disabled = card.buttons.get('latency')!.disabled;
    const seen = new Set<string>();
    for (const n of z.nodes) {
      seen.add(n.nodeId);
      const nc = card.cards.get(n.nodeId) ?? this.#nodeCard(card, n.nodeId);
      this.#renderNode(nc, n);
    }
    for (const [id, nc] of card.cards) {
      if (!seen.has(id)) {
        nc.root.remove();
        card.cards.delete(id);
      }
    }
  }

  #nodeCard(zone: ZoneCard, nodeId: string): NodeCard {
    const head = el('div', { class: 'node-head' });
    const envs = el('div', { class: 'envs', role: 'img' });
    const counts = el('div', { class: 'env-counts' });
    const root = el('div', { class: 'node', 'data-node': nodeId }, head, envs, counts);
    zone.nodes.append(root);
    const card = { root, head, envs, counts };
    zone.cards.set(nodeId, card);
    return card;
  }

  #renderNode(card: NodeCard, n: NodeView): void {
    setAttr(card.root, 'class', `node health-${n.health}`);
    setAttr(card.root, 'data-health', n.health);
    setText(card.head, `${n.nodeId} · ${n.health}${n.health === 'down' ? '' : ` · ${n.inFlight} in flight`}${n.faults.length ? ` · ${n.faults.join(', ')}` : ''}`);
    const squares = card.envs.children;
    for (let i = 0; i < n.environments.length; i++) {
      const e = n.environments[i]!;
      let s = squares[i] as HTMLElement | undefined;
      if (!s) {
        s = el('span', {});
        card.envs.append(s);
      }
      setAttr(s, 'class', `env s-${e.state}${e.provisioned ? ' provisioned' : ''}`);
      setAttr(s, 'title', `${e.id} · ${e.fn} · ${STATE_LABEL[e.state]}${e.provisioned ? ' · provisioned' : ''}`);
    }
    while (squares.length > n.environments.length) squares[squares.length - 1]!.remove();
    setAttr(card.envs, 'aria-label', `${n.environments.length} environments`);
    const parts = (Object.keys(n.counts) as EnvironmentState[]).filter((k) => n.counts[k] > 0).map((k) => `${n.counts[k]} ${STATE_LABEL[k]}`);
    setText(card.counts, `${parts.join(' · ') || 'no environments'}${n.hidden > 0 ? ` (+${n.hidden} not drawn)` : ''}`);
  }
}
