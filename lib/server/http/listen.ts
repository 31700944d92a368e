/**
 * The production listener: serves a request handler with the listener the
 * configuration picks — the hardened `node:http` one (`LISTENER=node`, the
 * default, `node_listener.ts`) or `Deno.serve` (`LISTENER=deno`, what real
 * Fresh's `ctx.upgrade` needs) — after raising the open-files limit and
 * logging it. Either way the process outlives running out of descriptors.
 * Shuts down gracefully: stop accepting, close every socket with 1001 so
 * clients reconnect elsewhere, wait for in-flight work up to a grace
 * period, then close the services.
 *
 * @module
 */
import { CLOSE } from "@/lib/shared/protocol.ts";
import type { Config } from "@/lib/server/config.ts";
import type { Services } from "@/lib/server/services.ts";
import { type Logger, logger } from "@/lib/server/log.ts";
import { withSecurityHeaders } from "./security_headers.ts";
import { withCompression } from "./compression.ts";
import { type Handler, listenNode } from "./node_listener.ts";
import { raiseOpenFilesLimit } from "./open_files.ts";
import { firstLine, StartError } from "@/lib/server/start_error.ts";

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

/** What accepts connections, whichever kind. */
interface Acceptor {
  port: number;
  /** Stops accepting; resolves when connections are done or `graceMs` passed. */
  shutdown(graceMs: number): Promise<void>;
}

/**
 * Serves `handler`, with the security headers on every response and text
 * bodies compressed (`compression.ts`), on
 * `services.config`'s address; port 0 picks a free one. Rejects with a
 * one-line {@link StartError} when it can't listen there (see
 * {@link listenError}).
 */
export async function listen(
  handler: Deno.ServeHandler<Deno.NetAddr>,
  services: Services,
  log: Logger = logger("server"),
): Promise<Listener> {
  const { config, chat } = services;
  const limit = raiseOpenFilesLimit();
  log.info("Open files limit: {soft} (hard {hard})", {
    soft: limit?.soft ?? "unknown",
    hard: limit?.hard ?? "unknown",
  });
  const secured = withCompression(
    withSecurityHeaders(handler, config.trustProxy),
  );
  let server: Acceptor;
  try {
    server = config.listener === "deno"
      ? serveDeno(secured, config, log)
      : await listenNode(secured, {
        hostname: config.hostname,
        port: config.port,
        headerTimeoutMs: config.headerTimeoutMs,
        maxFrameBytes: config.maxFrameBytes,
        closeTimeoutMs: config.wsCloseTimeoutMs,
      });
  } catch (error) {
    throw listenError(error, config.hostname, config.port);
  }
  const port = server.port;
  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    stopping ??= (async () => {
      const stopped = server.shutdown(config.shutdownGraceMs);
      chat.disconnectAll(CLOSE.goingAway, "Server shutting down");
      await stopped;
      await services.close();
    })();
  return { url: listenUrl(config.hostname, port), port, shutdown };
}

/**
 * The base URL a server listening on `hostname` and `port` is reached at:
 * the loopback address for a wildcard (`0.0.0.0`, `::`), an IPv6 address
 * in brackets.
 *
 * @example
 * ```ts
 * listenUrl("0.0.0.0", 8000); // "http://127.0.0.1:8000"
 * listenUrl("::", 8000); // "http://[::1]:8000"
 * listenUrl("fd00::5", 8000); // "http://[fd00::5]:8000"
 * ```
 */
export function listenUrl(hostname: string, port: number): string {
  const host = hostname === "0.0.0.0"
    ? "127.0.0.1"
    : hostname === "::"
    ? "::1"
    : hostname;
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * Why listening on `hostname` and `port` failed, as a {@link StartError}
 * naming the setting to change: the port is taken, the name does not
 * resolve, the address is not this machine's, the port is privileged, or
 * another refusal with a system error code. Anything else (a bug) is
 * thrown again as it is, keeping its stack.
 */
export function listenError(
  error: unknown,
  hostname: string,
  port: number,
): StartError {
  const code = (error as { code?: unknown } | null)?.code;
  const reason = firstLine(error);
  const at = `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
  if (error instanceof Deno.errors.AddrInUse || code === "EADDRINUSE") {
    return new StartError(
      `PORT: cannot listen on ${at}: the port is in use`,
    );
  }
  if (
    code === "ENOTFOUND" || code === "EAI_AGAIN" ||
    /lookup address information/i.test(reason)
  ) {
    return new StartError(
      `HOSTNAME: cannot listen on ${hostname}: the name does not resolve (${reason})`,
    );
  }
  if (
    error instanceof Deno.errors.AddrNotAvailable ||
    code === "EADDRNOTAVAIL" || code === "EINVAL"
  ) {
    return new StartError(
      `HOSTNAME: cannot listen on ${hostname}: not an address of this machine`,
    );
  }
  if (error instanceof Deno.errors.PermissionDenied || code === "EACCES") {
    return new StartError(
      `PORT: cannot listen on ${at}: permission denied (ports below 1024 need privileges)`,
    );
  }
  // Anything else the system refused names both; a bug keeps its stack.
  if (typeof code === "string" || error instanceof Deno.errors.NotFound) {
    return new StartError(`PORT, HOSTNAME: cannot listen on ${at}: ${reason}`);
  }
  throw error;
}

/**
 * `Deno.serve`, served again whenever it fails: once descriptors run out
 * its `finished` rejects and the port closes; a new serve on the same port
 * recovers when they free.
 */
function serveDeno(handler: Handler, config: Config, log: Logger): Acceptor {
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
  return {
    port: server.addr.port,
    async shutdown(graceMs) {
      stopping = true;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        server.shutdown(),
        new Promise((r) => timer = setTimeout(r, graceMs)),
      ]);
      clearTimeout(timer);
    },
  };
}
