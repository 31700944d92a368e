/**
 * The production listener: serves a request handler with `Deno.serve` and
 * shuts down gracefully — stop accepting, close every socket with 1001 so
 * clients reconnect elsewhere, wait for in-flight work up to a grace
 * period, then close the services.
 *
 * @module
 */
import { CLOSE } from "@/lib/shared/protocol.ts";
import type { Services } from "@/lib/server/services.ts";
import { withSecurityHeaders } from "./security_headers.ts";

/** A listening server. */
export interface Listener {
  /** The base URL, e.g. `http://127.0.0.1:8000`. */
  url: string;
  /** The port it listens on. */
  port: number;
  /**
   * Stops accepting, closes every socket with 1001, finishes pending
   * writes and closes the services; safe to call more than once.
   */
  shutdown(): Promise<void>;
}

/**
 * Serves `handler`, with the security headers on every response, on
 * `services.config`'s address; port 0 picks a free one.
 */
export function listen(
  handler: Deno.ServeHandler<Deno.NetAddr>,
  services: Services,
): Listener {
  const { config, chat } = services;
  const server = Deno.serve({
    port: config.port,
    hostname: config.hostname,
    onListen: () => {},
  }, withSecurityHeaders(handler, config.trustProxy));
  const port = server.addr.port;
  const host = config.hostname === "0.0.0.0" ? "127.0.0.1" : config.hostname;
  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    stopping ??= (async () => {
      const stopped = server.shutdown();
      chat.hub.closeAll(CLOSE.goingAway, "Server shutting down");
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        stopped,
        new Promise((r) => timer = setTimeout(r, config.shutdownGraceMs)),
      ]);
      clearTimeout(timer);
      await services.close();
    })();
  return { url: `http://${host}:${port}`, port, shutdown };
}
