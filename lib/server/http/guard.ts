/**
 * Checks made before a WebSocket upgrade: the Origin (against cross-site
 * WebSocket hijacking) and the number of connections per client address.
 *
 * @module
 */
import type { Config } from "@/lib/server/config.ts";

/**
 * Whether a request's Origin may open a socket: none at all (a non-browser
 * client), or one of `PUBLIC_URL` and `ALLOWED_ORIGINS`. Only when neither is
 * configured is the origin matching the request's Host accepted: a Host header
 * is whatever name the browser used, so with DNS rebinding an attacker's name
 * pointing at this server would pass.
 */
export function originAllowed(req: Request, config: Config): boolean {
  const origin = req.headers.get("origin");
  if (origin === null) return true;
  if (config.publicOrigin !== undefined || config.allowedOrigins.length > 0) {
    return origin === config.publicOrigin ||
      config.allowedOrigins.includes(origin);
  }
  if (origin === new URL(req.url).origin) return true;
  // Behind a proxy the request URL's host is the proxy's view of the Host header.
  const host = req.headers.get("host");
  return host !== null &&
    (origin === `http://${host}` || origin === `https://${host}`);
}

/**
 * The client's address: the socket's, or, with `TRUST_PROXY`, the last
 * `X-Forwarded-For` entry — the one our proxy added; earlier ones come from
 * the client and can be forged.
 */
export function clientAddress(
  req: Request,
  info: Deno.ServeHandlerInfo | undefined,
  config: Config,
): string {
  if (config.trustProxy) {
    const forwarded = req.headers.get("x-forwarded-for")?.split(",").at(-1)
      ?.trim();
    if (forwarded) return forwarded;
  }
  const addr = info?.remoteAddr;
  return addr && "hostname" in addr ? addr.hostname : "unknown";
}

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
