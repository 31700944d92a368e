/**
 * The hardened HTTP listener: serves a fetch-style handler over `node:http`
 * so that the server, not the runtime, owns each TCP connection.
 *
 * - A connection must send a request's headers within `headerTimeoutMs`
 *   (also the idle time allowed between keep-alive requests), or it is
 *   closed: idle and trickling connections can't pile up. Time the server
 *   itself was too busy to read (its event loop running late, as in a
 *   connect storm of thousands) is added back, a few times at most.
 * - Sockets are kept below the open-files limit: past `maxSockets` the
 *   oldest connection still waiting for headers is shed (or the newcomer,
 *   when none waits), so accepting never runs out of descriptors.
 * - Should accepting stall anyway (descriptors used elsewhere), a probe
 *   notices and the port is listened on again, so the server recovers.
 * - CONNECT, TRACE and TRACK, which a Fetch `Request` can't carry, are
 *   answered 405 by the listener itself.
 * - WebSocket upgrades are offered to the app's `ctx.upgrade` as a
 *   {@link NodeWebSocket}: frames over `maxFrameBytes` are refused from
 *   their header, and an unanswered close ends in a TCP reset.
 *
 * @module
 */
import http from "node:http";
import net from "node:net";
import { Buffer } from "node:buffer";
import { Readable } from "node:stream";
import { WebSocketServer } from "ws";
import { offerUpgrade } from "@/lib/fresh/upgrade.ts";
import { type Logger, logger } from "@/lib/server/log.ts";
import { NodeWebSocket } from "./node_websocket.ts";
import { LoopLag } from "./loop_lag.ts";
import { openFileCount, openFilesLimit } from "./open_files.ts";

/** A fetch-style request handler, as `Deno.serve` takes. */
export type Handler = (
  req: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => Response | Promise<Response>;

/** Options of {@link listenNode}. */
export interface ListenerOptions {
  /** Interface to listen on. */
  hostname: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Time allowed for a request's headers, and between keep-alive requests. */
  headerTimeoutMs: number;
  /** Largest WebSocket frame accepted; larger ones close with 1009. */
  maxFrameBytes: number;
  /** How long a WebSocket close may go unanswered before a reset. */
  closeTimeoutMs: number;
  /** Sockets held at most; by default the open-files limit less a reserve. */
  maxSockets?: number;
  /** How often accepting is checked while no connection arrives. */
  watchdogMs?: number;
  /** Where problems are logged; the "listener" logger by default. */
  log?: Logger;
}

/** What a {@link Listener} holds now. */
export interface ListenerStats {
  /** Open sockets, WebSockets included. */
  sockets: number;
  /** Sockets waiting for a request's headers. */
  waiting: number;
  /** The most sockets held. */
  maxSockets: number;
  /** The accept queue asked of the kernel (which may cap it lower). */
  backlog: number;
  /** Connections closed to stay under `maxSockets`. */
  shed: number;
  /** Connections closed for sending no headers in time. */
  timedOut: number;
  /** Times the port was listened on again after accepting stalled. */
  relistens: number;
}

/** A running listener. */
export interface Listener {
  /** The interface listened on. */
  readonly hostname: string;
  /** The port listened on. */
  readonly port: number;
  /** Counts of sockets and of connections closed. */
  stats(): ListenerStats;
  /**
   * Stops accepting, closes connections waiting for a request, and resolves
   * once every socket has closed or `graceMs` has passed, when the rest are
   * reset.
   */
  shutdown(graceMs: number): Promise<void>;
}

/** Descriptors kept free for everything but client sockets. */
function reserve(soft: number): number {
  return Math.max(64, Math.ceil(soft / 8)) + (openFileCount() ?? 64);
}

/** A listener that aborts the WebSocket in `slot`, if any. */
function abortOnClose(slot: { ws?: NodeWebSocket }): () => void {
  return () => slot.ws?.abort();
}

/** The body of a 400 for a request the HTTP parser refused. */
const BAD_REQUEST = JSON.stringify({
  error: { status: 400, message: "Malformed HTTP request" },
});
/** The body of a 400 for a request with an absolute target or a bad Host. */
const BAD_TARGET = JSON.stringify({
  error: { status: 400, message: "Bad request target or Host header" },
});

/**
 * Methods a Fetch `Request` can't carry (the constructor throws): answered
 * 405 by the listener itself.
 */
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);
/**
 * The `Allow` of that 405: the methods the listener hands to the app (it
 * can't know which of them the target takes; the app answers that).
 */
const ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

/** The body of the 405 for a method in {@link FORBIDDEN_METHODS}. */
function methodNotAllowed(method: string): string {
  return JSON.stringify({
    error: { status: 405, message: `Method not allowed: ${method}` },
  });
}

/** The deepest accept queue asked for. */
const MAX_BACKLOG = 4096;

/** Lateness below this, over a header wait, is not given back. */
const LAG_GRACE_MS = 50;
/** A header wait is extended by the loop's lateness at most this often. */
const MAX_LAG_EXTENSIONS = 5;

/** Starts serving `handler`; resolves once listening. */
export async function listenNode(
  handler: Handler,
  options: ListenerOptions,
): Promise<Listener> {
  const log = options.log ?? logger("listener");
  const limit = openFilesLimit();
  const spare = limit && Number.isFinite(limit.soft)
    ? reserve(limit.soft)
    : Infinity;
  const maxSockets = options.maxSockets ??
    (Number.isFinite(spare) ? Math.max(16, limit!.soft - spare) : 1_000_000);
  // The runtime accepts a whole backlog in one burst before we can shed, so
  // the backlog must fit in the spare descriptors. Up to that, a deep one:
  // in a connect storm (every client of a restarted server at once) a
  // connection the kernel can't queue is dropped, and its client tries
  // again a second later, then three; a join storm of 10,000 lost
  // thousands that way behind Node's usual 511. The kernel caps it at
  // `net.core.somaxconn` (4096 by default).
  const backlog = Math.max(16, Math.min(MAX_BACKLOG, Math.floor(spare / 2)));
  const watchdogMs = options.watchdogMs ?? 1000;
  const sockets = new Set<net.Socket>();
  /** Sockets waiting for headers, oldest first, with their timers. */
  const waiting = new Map<net.Socket, ReturnType<typeof setTimeout>>();
  const counts = { shed: 0, timedOut: 0, relistens: 0, accepted: 0 };
  let lastShedLog = 0;
  let stopping = false;

  const lag = new LoopLag();
  const wait = (socket: net.Socket) => {
    busy(socket);
    if (socket.destroyed) return;
    // Time this server was too busy to read doesn't count against the
    // client (a connect storm must not be shed as slow), up to a limit.
    let owedFrom = lag.total;
    let extended = 0;
    const expire = () => {
      const owed = lag.total - owedFrom;
      if (owed >= LAG_GRACE_MS && extended < MAX_LAG_EXTENSIONS) {
        owedFrom = lag.total;
        extended++;
        waiting.set(socket, setTimeout(expire, owed));
        return;
      }
      waiting.delete(socket);
      lag.release();
      counts.timedOut++;
      socket.destroy();
    };
    lag.hold();
    waiting.set(socket, setTimeout(expire, options.headerTimeoutMs));
  };
  const busy = (socket: net.Socket) => {
    const timer = waiting.get(socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    waiting.delete(socket);
    lag.release();
  };

  const onConnection = (socket: net.Socket) => {
    counts.accepted++;
    socket.on("error", () => {/* a reset by the peer; "close" follows */});
    if (stopping) return socket.destroy();
    if (sockets.size >= maxSockets) {
      counts.shed++;
      const oldest = waiting.keys().next();
      if (oldest.done) return socket.destroy();
      busy(oldest.value);
      oldest.value.destroy();
      const now = Date.now();
      if (now - lastShedLog > 10_000) {
        lastShedLog = now;
        log.warn("At {max} sockets: shedding connections ({shed} so far)", {
          max: maxSockets,
          shed: counts.shed,
        });
      }
    }
    sockets.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      busy(socket);
    });
    wait(socket);
  };

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
    handleProtocols: (offered, req) => {
      const wanted = protocols.get(req);
      return wanted !== undefined && offered.has(wanted) ? wanted : false;
    },
  });
  const protocols = new WeakMap<http.IncomingMessage, string>();

  const onRequest = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ) => {
    const socket = req.socket;
    busy(socket);
    res.once("finish", () => wait(socket));
    const aborted = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) aborted.abort();
    });
    if (isForbiddenMethod(req.method)) {
      const body = methodNotAllowed(req.method!);
      return void res.writeHead(405, {
        connection: "close",
        allow: ALLOWED_METHODS,
        "content-type": "application/json",
        "content-length": body.length,
      }).end(body);
    }
    const built = toRequest(req, options, aborted.signal, res);
    if (!built) {
      return void res.writeHead(400, {
        connection: "close",
        "content-type": "application/json",
        "content-length": BAD_TARGET.length,
      }).end(BAD_TARGET);
    }
    const { request, info } = built;
    let response: Response;
    try {
      response = await handler(request, info);
    } catch (error) {
      log.error("handling {method} {url} failed: {error}", {
        method: req.method,
        url: req.url,
        error: String(error),
      });
      response = new Response("Internal Server Error", { status: 500 });
    }
    // An answer given before the request's body was all read (a 413 from
    // its declared length, say) ends the connection: the rest of that body
    // would be read as the next request.
    await writeResponse(res, response, req.method === "HEAD", !req.complete);
  };

  const onUpgrade = async (
    req: http.IncomingMessage,
    socket: net.Socket,
    head: Buffer,
  ) => {
    busy(socket);
    const slot: { ws?: NodeWebSocket } = {};
    let accepted: Response | undefined;
    if (isForbiddenMethod(req.method)) return refuseMethod(socket, req.method!);
    const built = toRequest(req, options);
    if (!built) {
      return void socket.end(
        "HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n",
      );
    }
    const { request, info } = built;
    offerUpgrade(request, (upgrade) => {
      if (slot.ws) throw new Error("The request was upgraded already");
      const ws = slot.ws = new NodeWebSocket({
        idleTimeoutS: upgrade.idleTimeout ?? 120,
        closeTimeoutMs: options.closeTimeoutMs,
        protocol: upgrade.protocol,
        url: request.url,
      });
      if (upgrade.protocol) protocols.set(req, upgrade.protocol);
      // The status of a switch; the constructor refuses 101 itself.
      accepted = new Response(null, { status: 200 });
      Object.defineProperty(accepted, "status", { value: 101 });
      return { socket: ws, response: accepted };
    });
    // Not a closure over this function: it would keep the request, its
    // headers and the response alive as long as the socket is open.
    socket.once("close", abortOnClose(slot));
    let response: Response;
    try {
      response = await handler(request, info);
    } catch (error) {
      log.error("upgrading {url} failed: {error}", {
        url: req.url,
        error: String(error),
      });
      response = new Response("Internal Server Error", { status: 500 });
    }
    const ws = slot.ws;
    if (ws && response === accepted) {
      if (socket.destroyed) return ws.abort();
      ws.handshaking(socket);
      wss.handleUpgrade(req, socket, head, (w) => ws.attach(w, socket));
      return;
    }
    ws?.abort();
    await writeRawResponse(socket, response, options.closeTimeoutMs);
  };

  let server = http.createServer();
  const bind = (s: http.Server) => {
    // Idle time between keep-alive requests is `headerTimeoutMs` (our own
    // timer, see `wait`), not Node's default 5 s. Node's, set as long,
    // tells clients (`Keep-Alive: timeout=…`) and only backs ours up: it
    // fires a second later.
    s.keepAliveTimeout = options.headerTimeoutMs;
    s.on("connection", onConnection);
    // Nothing a client sends may become an unhandled rejection, which would
    // end the process.
    s.on(
      "request",
      (req: http.IncomingMessage, res: http.ServerResponse) =>
        onRequest(req, res).catch((error) => {
          log.error("serving {url} failed: {error}", {
            url: req.url,
            error: String(error),
          });
          res.destroy();
        }),
    );
    // CONNECT comes here rather than as a request: answered, not dropped.
    s.on("connect", (req: http.IncomingMessage, socket: net.Socket) => {
      busy(socket);
      refuseMethod(socket, req.method ?? "CONNECT");
    });
    s.on(
      "upgrade",
      (req: http.IncomingMessage, socket: net.Socket, head: Buffer) =>
        onUpgrade(req, socket, head).catch((error) => {
          log.error("upgrading {url} failed: {error}", {
            url: req.url,
            error: String(error),
          });
          socket.destroy();
        }),
    );
    s.on("clientError", (error: Error, socket: net.Socket) => {
      // A request the parser refused (e.g. headers over 16 KiB). TRACK is
      // a method it doesn't know: a forbidden one all the same.
      const method = firstToken(error);
      if (socket.writable && method && isForbiddenMethod(method)) {
        refuseMethod(socket, method);
        return;
      }
      if (socket.writable) {
        socket.end(
          "HTTP/1.1 400 Bad Request\r\nconnection: close\r\n" +
            "content-type: application/json\r\n" +
            `content-length: ${BAD_REQUEST.length}\r\n\r\n${BAD_REQUEST}`,
        );
      }
      socket.destroySoon();
    });
    // Failing to listen rejects `listenOn`, whose caller reports it.
    s.on("error", (error) => {
      if (s.listening) {
        log.error("listener error: {error}", { error: String(error) });
      }
    });
  };
  const listenOn = (s: http.Server, port: number) =>
    new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen({ port, host: options.hostname, backlog }, () => {
        s.off("error", reject);
        resolve();
      });
    });
  bind(server);
  await listenOn(server, options.port);
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  // Accepting can stop for good once descriptors ran out; a connection to
  // ourselves that isn't accepted shows it, and listening again recovers.
  const probeHost = options.hostname === "0.0.0.0" || options.hostname === "::"
    ? "127.0.0.1"
    : options.hostname;
  let seen = counts.accepted;
  let probing = false;
  const watchdog = setInterval(() => {
    if (stopping || probing || counts.accepted !== seen) {
      seen = counts.accepted;
      return;
    }
    probing = true;
    const before = counts.accepted;
    const probe = net.connect({ host: probeHost, port });
    // Connected means the kernel took it, not that we accepted it: close
    // at once, so the probe doesn't sit among the connections waiting for
    // headers (and keep the lag clock ticking) for its second.
    probe.once("connect", () => probe.destroy());
    let outOfDescriptors = false;
    probe.on("error", (error: Error & { code?: string }) => {
      if (error.code !== "EMFILE" && error.code !== "ENFILE") return;
      // Out of descriptors ourselves: free the ones waiting for headers.
      outOfDescriptors = true;
      for (const s of [...waiting.keys()]) s.destroy();
    });
    setTimeout(() => {
      probe.destroy();
      probing = false;
      seen = counts.accepted;
      // Nothing accepted for a second, the probe included: accepting has
      // stalled, whether the probe's handshake completed (it waits in the
      // backlog) or a full backlog dropped it. Short of a descriptor to
      // listen with, the port is left as it is.
      if (outOfDescriptors || counts.accepted !== before || stopping) return;
      counts.relistens++;
      log.error("Accepting stalled; listening on port {port} again", { port });
      const old = server;
      server = http.createServer();
      bind(server);
      old.close();
      listenOn(server, port).catch((error) =>
        log.error("listening again failed: {error}", { error: String(error) })
      );
    }, 1000);
  }, watchdogMs);

  return {
    hostname: options.hostname,
    port,
    stats: () => ({
      sockets: sockets.size,
      waiting: waiting.size,
      maxSockets,
      backlog,
      shed: counts.shed,
      timedOut: counts.timedOut,
      relistens: counts.relistens,
    }),
    async shutdown(graceMs: number) {
      stopping = true;
      clearInterval(watchdog);
      lag.stop();
      server.close();
      for (const s of [...waiting.keys()]) s.destroy();
      const deadline = Date.now() + graceMs;
      while (sockets.size > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      for (const s of sockets) s.resetAndDestroy?.() ?? s.destroy();
    },
  };
}

/** Answers 405 for a forbidden `method` on the raw socket, then closes it. */
function refuseMethod(socket: net.Socket, method: string): void {
  const body = methodNotAllowed(method);
  socket.end(
    "HTTP/1.1 405 Method Not Allowed\r\nconnection: close\r\n" +
      `allow: ${ALLOWED_METHODS}\r\ncontent-type: application/json\r\n` +
      `content-length: ${body.length}\r\n\r\n${body}`,
  );
  socket.destroySoon();
}

/** The method the bytes a parser error carries start with, if any. */
function firstToken(error: Error): string | undefined {
  const raw = (error as Error & { rawPacket?: Buffer }).rawPacket;
  if (!raw) return undefined;
  return /^([A-Z]{1,16}) /.exec(raw.subarray(0, 17).toString("latin1"))
    ?.[1];
}

/** Whether a Fetch `Request` can't have `method` (see {@link FORBIDDEN_METHODS}). */
function isForbiddenMethod(method: string | undefined): boolean {
  return method !== undefined && FORBIDDEN_METHODS.has(method);
}

/**
 * The Web `Request` for a `node:http` one, and its serve info; undefined
 * when the Host header or the target makes no URL.
 */
function toRequest(
  req: http.IncomingMessage,
  options: ListenerOptions,
  signal?: AbortSignal,
  res?: http.ServerResponse,
): { request: Request; info: Deno.ServeHandlerInfo<Deno.NetAddr> } | undefined {
  const raw = req.rawHeaders;
  // Two Host headers make no host (as their joined value makes none).
  let host: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i].length !== 4 || raw[i].toLowerCase() !== "host") continue;
    if (host !== undefined) return undefined;
    host = raw[i + 1];
  }
  host ??= `${options.hostname}:${options.port}`;
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  // Origin-form targets only ("//evil.example/x" must not become the host),
  // and a Host that is a host and nothing more.
  const target = req.url ?? "/";
  if (!target.startsWith("/") || !/^[\w.\-:\[\]]+$/.test(host)) {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(`http://${host}${target}`);
  } catch {
    return undefined;
  }
  const request = new Request(url, {
    method,
    signal,
    body: hasBody ? Readable.toWeb(req) as ReadableStream<Uint8Array> : null,
  });
  // Into the request's own headers: a `Headers` passed to the constructor
  // would be copied through a sorted iteration, five times the work and
  // garbage (a connect storm's largest allocation).
  const headers = request.headers;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i], raw[i + 1]);
    } catch { /* a header the Fetch API refuses is left out */ }
  }
  const completed = res
    ? new Promise<void>((resolve) => res.once("close", () => resolve()))
    : Promise.resolve();
  return {
    request,
    info: {
      remoteAddr: {
        transport: "tcp",
        hostname: req.socket.remoteAddress ?? "unknown",
        port: req.socket.remotePort ?? 0,
      },
      completed,
    },
  };
}

/** Writes a Web `Response` to a `node:http` response. */
async function writeResponse(
  res: http.ServerResponse,
  response: Response,
  head: boolean,
  close = false,
): Promise<void> {
  if (res.destroyed) return;
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  const cookies = response.headers.getSetCookie();
  if (cookies.length) res.setHeader("set-cookie", cookies);
  response.headers.forEach((value, key) => {
    if (key !== "set-cookie") res.setHeader(key, value);
  });
  // A request timed out (its body too slow, say) ends its connection, which
  // the rest of that body would otherwise hold.
  if (response.status === 408 || close) res.setHeader("connection", "close");
  if (!response.body || head) {
    await response.body?.cancel();
    res.end();
    return;
  }
  try {
    for await (const chunk of response.body) {
      if (res.destroyed) break;
      if (!res.write(chunk)) {
        // Both listeners go once either fires: a long download waits many times.
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off("drain", done);
            res.off("close", done);
            resolve();
          };
          res.once("drain", done);
          res.once("close", done);
        });
      }
    }
  } catch {
    res.destroy();
    return;
  }
  res.end();
}

/** Answers a refused upgrade on the raw socket, then closes it. */
async function writeRawResponse(
  socket: net.Socket,
  response: Response,
  closeTimeoutMs: number,
): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  if (socket.destroyed) return;
  const status = response.status === 101 ? 500 : response.status;
  const lines = [
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ""}`,
    ...response.headers.getSetCookie().map((c) => `set-cookie: ${c}`),
  ];
  response.headers.forEach((value, key) => {
    if (key !== "set-cookie" && key !== "content-length") {
      lines.push(`${key}: ${value}`);
    }
  });
  lines.push(`content-length: ${body.length}`, "connection: close", "", "");
  socket.end(Buffer.concat([Buffer.from(lines.join("\r\n")), body]));
  setTimeout(() => socket.destroy(), closeTimeoutMs).unref();
}
