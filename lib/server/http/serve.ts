/**
 * Serves a request handler with the listener the configuration picks: the
 * hardened `node:http` one (`LISTENER=node`, the default) or `Deno.serve`
 * (`LISTENER=deno`, what real Fresh's `ctx.upgrade` needs). Either way the
 * start raises the open-files limit and logs it, and the process outlives
 * running out of descriptors.
 *
 * @module
 */
import type { Config } from "@/lib/server/config.ts";
import { type Logger, logger } from "@/lib/server/log.ts";
import { type Handler, listen, type ListenerStats } from "./listener.ts";
import { raiseOpenFilesLimit } from "./open_files.ts";

/** A server accepting connections. */
export interface Serving {
  /** The port listened on. */
  readonly port: number;
  /** Socket counts, with the `node` listener. */
  stats(): ListenerStats | undefined;
  /** Stops accepting; resolves when connections are done or `graceMs` passed. */
  shutdown(graceMs: number): Promise<void>;
}

/** Starts serving `handler` as `config` says; resolves once listening. */
export async function serve(
  handler: Handler,
  config: Config,
  log: Logger = logger("server"),
): Promise<Serving> {
  const limit = raiseOpenFilesLimit();
  log.info("Open files limit: {soft} (hard {hard})", {
    soft: limit?.soft ?? "unknown",
    hard: limit?.hard ?? "unknown",
  });
  if (config.listener === "deno") return serveDeno(handler, config, log);
  const listener = await listen(handler, {
    hostname: config.hostname,
    port: config.port,
    headerTimeoutMs: config.headerTimeoutMs,
    maxFrameBytes: config.maxFrameBytes,
    closeTimeoutMs: config.wsCloseTimeoutMs,
  });
  log.info("Holding at most {max} sockets", {
    max: listener.stats().maxSockets,
  });
  return {
    port: listener.port,
    stats: () => listener.stats(),
    shutdown: (graceMs) => listener.shutdown(graceMs),
  };
}

/**
 * `Deno.serve`, served again whenever it fails: once descriptors run out
 * its `finished` rejects and the port closes; a new serve on the same port
 * recovers when they free.
 */
function serveDeno(handler: Handler, config: Config, log: Logger): Serving {
  let stopping = false;
  let server: Deno.HttpServer<Deno.NetAddr>;
  const start = (port: number): Deno.HttpServer<Deno.NetAddr> => {
    const s = Deno.serve({
      port,
      hostname: config.hostname,
      onListen: () => {},
    }, handler);
    s.finished.catch((error) => {
      if (stopping) return;
      log.error("Serving failed: {error}; serving again", {
        error: String(error),
      });
      retry(port, 100);
    });
    return s;
  };
  const retry = (port: number, delayMs: number) =>
    setTimeout(() => {
      if (stopping) return;
      try {
        server = start(port);
      } catch (error) {
        log.warn("Serving again failed: {error}", { error: String(error) });
        retry(port, Math.min(2 * delayMs, 2000));
      }
    }, delayMs);
  server = start(config.port);
  const port = server.addr.port;
  return {
    port,
    stats: () => undefined,
    async shutdown(graceMs) {
      stopping = true;
      await Promise.race([
        server.shutdown(),
        new Promise((r) => setTimeout(r, graceMs)),
      ]);
    },
  };
}
