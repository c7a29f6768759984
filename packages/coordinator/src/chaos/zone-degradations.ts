import type { Membership } from '../membership/membership.js';
import type { NodeSession } from '../membership/node-session.js';

/** A gray failure of a zone. */
export interface Degradation {
  slowFactor: number;
  failRate: number;
}

/** What a gray failure covers: a whole zone, or one node. */
export type DegradationScope = { zone: string } | { nodeId: string };

const HEALTHY: Degradation = { slowFactor: 1, failRate: 0 };

/**
 * Gray failures per zone or per node (chaos): the nodes keep answering heartbeats, so the failure
 * detector sees nothing, while their invocations slow down or fail. The coordinator tells every
 * node concerned (`degrade`), and nodes that join later, until it is healed. A node's own
 * degradation wins over its zone's.
 */
export class ZoneDegradations {
  readonly #membership: Membership;
  readonly #byZone = new Map<string, Degradation>();
  readonly #byNode = new Map<string, Degradation>();

  constructor(membership: Membership) {
    this.#membership = membership;
  }

  set(scope: DegradationScope, d: Degradation): void {
    if ('zone' in scope) this.#byZone.set(scope.zone, d);
    else this.#byNode.set(scope.nodeId, d);
    this.#resend(scope);
  }

  heal(scope: DegradationScope): boolean {
    const had = 'zone' in scope ? this.#byZone.delete(scope.zone) : this.#byNode.delete(scope.nodeId);
    this.#resend(scope);
    return had;
  }

  list(): Array<({ zone: string } | { nodeId: string }) & Degradation> {
    return [...[...this.#byZone].map(([zone, d]) => ({ zone, ...d })), ...[...this.#byNode].map(([nodeId, d]) => ({ nodeId, ...d }))];
  }

  /**
   * A node joined: it gets its own or its zone's degradation, or "none". Always sent: a node may
   * still carry one whose heal it never got (the coordinator was restarting when the fault ended,
   * and a new coordinator knows none): found by zonesim explore (issue 19, seed 1253), a zone left
   * gray for good.
   */
  onSession(session: NodeSession): void {
    this.#send(session, this.#of(session));
  }

  #of(session: NodeSession): Degradation {
    return this.#byNode.get(session.nodeId) ?? this.#byZone.get(session.zone) ?? HEALTHY;
  }

  #resend(scope: DegradationScope): void {
    for (const s of this.#membership.sessions()) {
      if ('zone' in scope ? s.zone === scope.zone : s.nodeId === scope.nodeId) this.#send(s, this.#of(s));
    }
  }

  #send(session: NodeSession, d: Degradation): void {
    session.send({ type: 'degrade', slowFactor: d.slowFactor, failRate: d.failRate });
  }
}
