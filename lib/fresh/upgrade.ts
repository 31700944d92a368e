/**
 * How `ctx.upgrade` turns a request into a WebSocket. By default that is
 * `Deno.upgradeWebSocket`, as in Fresh; a server that accepted the
 * connection itself (e.g. over `node:http`) offers its own upgrade for the
 * requests it makes, and routes keep calling `ctx.upgrade` unchanged.
 *
 * @module
 */
import type { WebSocketUpgradeOptions } from "./types.ts";

/** Upgrades one request: the socket for the route and the response to return. */
export type Upgrader = (
  options: WebSocketUpgradeOptions,
) => { socket: WebSocket; response: Response };

const offered = new WeakMap<Request, Upgrader>();

/** Makes `upgrader` the way `req` is upgraded by `ctx.upgrade`. */
export function offerUpgrade(req: Request, upgrader: Upgrader): void {
  offered.set(req, upgrader);
}

/** Upgrades `req` with the upgrade offered for it, or the runtime's. */
export function upgradeWebSocket(
  req: Request,
  options: WebSocketUpgradeOptions = {},
): { socket: WebSocket; response: Response } {
  const upgrader = offered.get(req);
  if (upgrader) return upgrader(options);
  return Deno.upgradeWebSocket(req, {
    idleTimeout: options.idleTimeout,
    protocol: options.protocol,
  });
}
