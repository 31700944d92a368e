/**
 * Backpressure: a slow reader never holds a room back. Frames to a socket
 * that is not keeping up pile up in its own buffer; once it has stayed
 * backed up past a grace period (or far over the limit at once) it must be
 * closed, and {@link Outflow.send} says so.
 *
 * @module
 */

/** The socket surface the hub needs; a `WebSocket` satisfies it. */
export interface Socket {
  /** `WebSocket.OPEN` while frames can be sent. */
  readonly readyState: number;
  /** Bytes queued but not yet sent. */
  readonly bufferedAmount: number;
  /** Queues one frame. */
  send(data: string): void;
  /** Closes the connection. */
  close(code?: number, reason?: string): void;
}

/** How much a socket may fall behind, and for how long. */
export interface BackpressureLimits {
  /** Bytes a socket may buffer before it counts as backed up. */
  slowClientBytes: number;
  /** How long a socket may stay backed up before it is closed. */
  slowClientGraceMs: number;
  /** The clock, in epoch milliseconds. */
  now: () => number;
}

/** A buffer this many times the limit is too slow at once, grace or not. */
const HOPELESS_FACTOR = 8;

/** How often a replay looks whether a backed-up socket has drained. */
const DRAIN_POLL_MS = 50;

/** The frames going out on one socket, and whether it keeps up. */
export class Outflow {
  /** When the socket first stayed backed up, 0 while it keeps up. */
  #slowSince = 0;
  /** Characters sent since the buffer was last checked. */
  #unchecked = 0;

  /** Watches `socket` against `limits`. */
  constructor(
    readonly socket: Socket,
    readonly limits: BackpressureLimits,
  ) {}

  /**
   * Sends one frame if the socket is open. False when the socket has been
   * backed up for too long: the frame is not sent and the caller must close
   * the connection.
   */
  send(data: string): boolean {
    const socket = this.socket;
    if (socket.readyState !== 1) return true;
    const limit = this.limits.slowClientBytes;
    // Asking a socket for its buffer costs a call into the runtime, so a
    // client keeping up is asked once per eighth of the limit sent, not on
    // every frame; one already behind is asked every time.
    this.#unchecked += data.length;
    if (this.#slowSince === 0 && this.#unchecked < limit / 8) {
      socket.send(data);
      return true;
    }
    this.#unchecked = 0;
    if (socket.bufferedAmount > limit) {
      const now = this.limits.now();
      if (this.#slowSince === 0) this.#slowSince = now;
      else if (
        now - this.#slowSince > this.limits.slowClientGraceMs ||
        socket.bufferedAmount > HOPELESS_FACTOR * limit
      ) {
        return false;
      }
    } else this.#slowSince = 0;
    socket.send(data);
    return true;
  }

  /**
   * For a periodic sweep, since a socket that is sent nothing is never
   * checked by {@link send}: false when it has stayed backed up too long.
   */
  keepsUp(): boolean {
    if (this.#slowSince === 0) return true;
    if (this.socket.bufferedAmount <= this.limits.slowClientBytes) {
      this.#slowSince = 0;
      return true;
    }
    return this.limits.now() - this.#slowSince <= this.limits.slowClientGraceMs;
  }

  /**
   * Resolves once the socket's buffer is back under the limit, or `gone()`
   * is true. A sweep closes a socket that never drains.
   */
  async drained(gone: () => boolean): Promise<void> {
    while (
      !gone() && this.socket.bufferedAmount > this.limits.slowClientBytes
    ) {
      await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
    }
  }
}
