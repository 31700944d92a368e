/**
 * Open connections per client address, against `MAX_CONNECTIONS_PER_IP`.
 *
 * @module
 */

/** Counts open connections per address against a limit. */
export class ConnectionLimiter {
  readonly #open = new Map<string, number>();
  /** Creates a limiter allowing `limit` open connections per address. */
  constructor(readonly limit: number) {}

  /** Takes a slot for `address`; false when it has none left. */
  acquire(address: string): boolean {
    const n = this.#open.get(address) ?? 0;
    if (n >= this.limit) return false;
    this.#open.set(address, n + 1);
    return true;
  }

  /** Gives a slot back. */
  release(address: string): void {
    const n = (this.#open.get(address) ?? 1) - 1;
    if (n <= 0) this.#open.delete(address);
    else this.#open.set(address, n);
  }
}

/**
 * How long after the server closes a socket its slot is given back at the
 * latest, should the socket never report its close.
 */
const RELEASE_AFTER_CLOSE_MS = 10_000;

/**
 * Gives the connection slot back when `socket` has closed: when the peer
 * answered the close, or when the listener reset a connection that didn't
 * (after `WS_CLOSE_TIMEOUT_MS`). Until then the connection still holds its
 * socket and buffers, so it still counts: otherwise an address whose
 * connections the server closes (a refused name, say) and which never
 * answers could hold any number of them. A socket that never reports its
 * close gives the slot back 10 s after the server closed it.
 */
export function releaseOnClose(
  socket: WebSocket,
  limiter: ConnectionLimiter,
  address: string | undefined,
): void {
  if (address === undefined) return;
  let held = true;
  let fallback: ReturnType<typeof setTimeout> | undefined;
  const release = () => {
    if (held) limiter.release(address);
    held = false;
    clearTimeout(fallback);
  };
  socket.addEventListener("close", release);
  const close = socket.close.bind(socket);
  socket.close = (code?: number, reason?: string) => {
    if (held && fallback === undefined) {
      fallback = setTimeout(release, RELEASE_AFTER_CLOSE_MS);
      Deno.unrefTimer(fallback);
    }
    close(code, reason);
  };
}
