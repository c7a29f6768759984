import type { Membership } from '../membership/membership.js';
import type { NodeSession } from '../membership/node-session.js';

/** A gray failure of a zone. */
export interface Degradation {
  slowFactor: number;
  failRate: number;
}

/**
 * Gray failures per zone (chaos): the zone's nodes keep answering heartbeats, so the failure
 * detector sees nothing, while their invocations slow down or fail. The coordinator tells every
 * node of the zone (`degrade`), and nodes that join the zone later, until it is healed.
 */
export class ZoneDegradations {
  readonly #membership: Membership;
  readonly #byZone = new Map<string, Degradation>();

  constructor(membership: Membership) {
    this.#membership = membership;
  }

  set(zone: string, d: Degradation): void {
    this.#byZone.set(zone, d);
    for (const s of this.#membership.sessions()) if (s.zone === zone) this.#send(s, d);
  }

  heal(zone: string): boolean {
    const had = this.#byZone.delete(zone);
    for (const s of this.#membership.sessions()) if (s.zone === zone) this.#send(s, { slowFactor: 1, failRate: 0 });
    return had;
  }

  list(): Array<{ zone: string } & Degradation> {
    return [...this.#byZone].map(([zone, d]) => ({ zone, ...d }));
  }

  /** A node joined: it gets its zone's degradation, if any. */
  onSession(session: NodeSession): void {
    const d = this.#byZone.get(session.zone);
    if (d) this.#send(session, d);
  }

  #send(session: NodeSession, d: Degradation): void {
    session.send({ type: 'degrade', slowFactor: d.slowFactor, failRate: d.failRate });
  }
}
