import { msgpackCodec, type CoordinatorMessage, type DialEvents, type Dialer, type LinkConnection, type ZoneMessage } from '@zonesim/protocol';

/** One connection a {@link fakeDialer} opened: what the node sent on it, and the coordinator's side. */
export interface Dialled {
  events: DialEvents;
  sent: ZoneMessage[];
  closed?: { code: number; reason: string };
  terminated: boolean;
  /** The coordinator's side: deliver a frame to the node. */
  deliver(message: CoordinatorMessage): void;
}

/**
 * A zone-link `Dialer` for unit tests: every dial succeeds at once (call `events.opened()` to open
 * it), frames the node sends are decoded into `sent`, and `deliver` hands it the coordinator's.
 */
export function fakeDialer(): Dialer & { dials: Dialled[] } {
  const dials: Dialled[] = [];
  return {
    dials,
    dial(_url, events) {
      const d: Dialled = { events, sent: [], terminated: false, deliver: (m) => events.frame(msgpackCodec.encode(m), true) };
      const connection: LinkConnection = {
        bufferedAmount: 0,
        send: (frame, onWritten) => {
          d.sent.push(msgpackCodec.decode(frame) as ZoneMessage);
          onWritten?.();
        },
        close: (code, reason) => {
          d.closed ??= { code, reason };
        },
        terminate: () => {
          d.terminated = true;
        },
      };
      dials.push(d);
      return connection;
    },
  };
}
