/**
 * One end of an established zone link, as the platform's logic sees it: frames out, backpressure,
 * close. The transport is not named: in real processes it is a WebSocket (`WsLinkConnection` in
 * @zonesim/common), in virtual time an in-memory link of the simulator (issue 16). Like nats.js's
 * transport interface, this is all the protocol code may know of a socket.
 */
export interface LinkConnection {
  /**
   * Sends one encoded frame, in order after the frames sent before it. `onWritten` is called once
   * the frame left this process (written to the socket, or entered the simulated network), with an
   * error when the link was already gone and the frame never left.
   */
  send(frame: Uint8Array, onWritten?: (err?: Error) => void): void;
  /** Bytes handed to `send` and not yet written (backpressure). */
  readonly bufferedAmount: number;
  /** Closes with a close code and reason (see close-codes.ts); frames sent before it go first. */
  close(code: number, reason: string): void;
  /** Drops the connection at once, without a closing handshake. */
  terminate(): void;
}

/** What a transport reports to the owner of a {@link LinkConnection}. */
export interface LinkEvents {
  /** One frame arrived; `binary` is false for a text frame (not part of the protocol). */
  frame(bytes: Uint8Array, binary: boolean): void;
  /** The connection closed (either side, or the network). Called once. */
  closed(code: number, reason: string): void;
}

/** What a dialled connection reports: it opened, and then frames and its close. */
export interface DialEvents extends LinkEvents {
  /** The connection is open: frames may be sent. */
  opened(): void;
}

/**
 * Opens zone links (the zone node's side). Real processes dial a WebSocket; a simulation connects
 * an in-memory link. A dial that fails reports `closed` without `opened`.
 */
export interface Dialer {
  dial(url: string, events: DialEvents): LinkConnection;
}
