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
 * Gives the connection slot back when `socket` closes, or as soon as the
 * server closes it: a peer that stopped reading may never answer the close,
 * and its slot must not wait for it.
 */
export function releaseOnClose(
  socket: WebSocket,
  limiter: ConnectionLimiter,
  address: string | undefined,
): void {
  if (address === undefined) return;
  let held = true;
  const release = () => {
    if (held) limiter.release(address);
    held = false;
  };
  socket.addEventListener("close", release);
  const close = socket.close.bind(socket);
  socket.close = (code?: number, reason?: string) => {
    release();
    close(code, reason);
  };
}
