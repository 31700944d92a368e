/**
 * A server-side `WebSocket` over a `node:net` socket, read by the `ws`
 * package: the same interface the app uses with `Deno.upgradeWebSocket`
 * (events, `send`, `close`, `readyState`, `bufferedAmount`), plus what the
 * runtime's socket lacks:
 *
 * - frames over `maxPayload` are refused from their header (close 1009), so
 *   a hostile client can't make the server buffer a 63 MB frame;
 * - a close the peer doesn't answer within `closeTimeoutMs` is followed by a
 *   TCP reset, which frees the socket and its kernel send queue at once.
 *
 * Text frames are framed once and the same bytes written to every
 * recipient, so fan-out costs no more than the runtime's own socket. The
 * frames a socket gets in one turn of the event loop (a send's `message`,
 * `read` and `ack`, say) leave in one write, not one system call each.
 * Where the server speaks first ({@link speaksFirst}: the native protocol's
 * `welcome`), the handshake's response waits for that first frame and
 * leaves with it, in one write.
 *
 * @module
 */
import type { Socket } from "node:net";
import type { WebSocket as WsSocket } from "ws";
import { Buffer } from "node:buffer";
import { setImmediate } from "node:timers";
import { type IdleEntry, IdleWatch } from "./idle_watch.ts";

/** Options of {@link NodeWebSocket}. */
export interface NodeWebSocketOptions {
  /**
   * Seconds without any sign of life (a frame or a pong) before a ping; as
   * long again without an answer, and the connection is reset.
   */
  idleTimeoutS: number;
  /** How long a close may go unanswered before the connection is reset. */
  closeTimeoutMs: number;
  /** The sub-protocol agreed on, `""` for none. */
  protocol?: string;
  /** The URL the client asked for. */
  url?: string;
}

const CONNECTING = 0, OPEN = 1, CLOSING = 2, CLOSED = 3;
/** How long a close frame after a protocol error gets before the reset. */
const PROTOCOL_ERROR_GRACE_MS = 500;
type ReadyState = 0 | 1 | 2 | 3;

/** The reason sent with each close `ws` makes on its own. */
const PROTOCOL_REASONS: Record<number, string> = {
  1002: "WebSocket protocol error",
  1007: "Invalid UTF-8 in a text frame",
  1009: "Frame too large",
};

/**
 * The last few text frames built: fan-out sends one string to many sockets
 * (one per wire format when a room mixes them), so each is encoded and
 * framed once.
 */
const RECENT = 4;
const recentText: string[] = [];
const recentFrame: Buffer[] = [];
let nextSlot = 0;

/** Every open socket's dead-peer check, on one timer. */
const idleWatch = new IdleWatch();

/** Sockets holding this turn's frames, written together after it. */
const corked: Socket[] = [];

/** Holds `raw`'s writes until the end of this turn of the event loop. */
function corkForTurn(raw: Socket): void {
  if (corked.length === 0) setImmediate(uncorkAll);
  corked.push(raw);
  raw.cork();
}

function uncorkAll(): void {
  for (const raw of corked.splice(0)) raw.uncork();
}

/**
 * Sockets whose handshake response waits, corked, for their first frame;
 * each with the sweep count when it began to wait. A socket whose first
 * frame doesn't come is released by the second sweep after (within
 * `2 × HOLD_SWEEP_MS`). In a connect storm a welcome can take a second
 * (its joins wait for the store like everyone's), and it is the welcome
 * that a client waits for, not the handshake.
 */
const held = new Map<Socket, number>();
const HOLD_SWEEP_MS = 1000;
let sweeps = 0;
let sweeper: ReturnType<typeof setInterval> | undefined;

/** Holds `raw`'s writes (the coming handshake response) for its first frame. */
function hold(raw: Socket): void {
  raw.cork();
  held.set(raw, sweeps);
  raw.once("close", () => unhold(raw));
  sweeper ??= setInterval(releaseStale, HOLD_SWEEP_MS);
}

function releaseStale(): void {
  sweeps++;
  // In insertion order: the first one still young ends the sweep.
  for (const [raw, since] of held) {
    if (since > sweeps - 2) break;
    unhold(raw);
  }
}

function unhold(raw: Socket): void {
  if (!held.delete(raw)) return;
  raw.uncork();
  if (held.size === 0) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/** A held `raw` leaves at the end of this turn, with the frames written in it. */
function releaseWithTurn(raw: Socket): void {
  if (!held.has(raw)) return;
  if (corked.length === 0) setImmediate(uncorkAll);
  raw.cork();
  corked.push(raw);
  unhold(raw);
}

/**
 * Tells the listener that the server speaks first on `socket` (it always
 * sends a frame, or closes, once open), so the handshake's response may wait
 * for that frame and leave in the same write: one system call less per
 * connection, which a connect storm feels. No effect on other sockets
 * (`Deno.upgradeWebSocket`'s) or once open.
 */
export function speaksFirst(socket: WebSocket): void {
  if (socket instanceof NodeWebSocket) socket.holdsHandshake = true;
}

/** An unmasked, final text frame carrying `text`. */
export function textFrame(text: string): Buffer {
  for (let i = 0; i < recentText.length; i++) {
    if (recentText[i] === text) return recentFrame[i];
  }
  const n = Buffer.byteLength(text);
  const head = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + n);
  frame[0] = 0x81;
  if (n < 126) frame[1] = n;
  else if (n < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  frame.write(text, head, "utf8");
  recentText[nextSlot] = text;
  recentFrame[nextSlot] = frame;
  nextSlot = (nextSlot + 1) % RECENT;
  return frame;
}

/**
 * A `WebSocket` whose connection is completed later by {@link attach}
 * (after the app accepted the upgrade) or abandoned by {@link abort}.
 */
export class NodeWebSocket extends EventTarget implements WebSocket {
  readonly CONNECTING = CONNECTING;
  readonly OPEN = OPEN;
  readonly CLOSING = CLOSING;
  readonly CLOSED = CLOSED;
  /** Binary frames arrive as `ArrayBuffer`s. */
  binaryType: BinaryType = "arraybuffer";
  /** No extensions are negotiated (no compression). */
  readonly extensions = "";
  /** The sub-protocol agreed on. */
  readonly protocol: string;
  /** The URL the client asked for. */
  readonly url: string;
  /** Called on open, like `WebSocket.onopen`. */
  onopen: ((this: WebSocket, ev: Event) => unknown) | null = null;
  /** Called for each message, like `WebSocket.onmessage`. */
  onmessage: ((this: WebSocket, ev: MessageEvent) => unknown) | null = null;
  /** Called once closed, like `WebSocket.onclose`. */
  onclose: ((this: WebSocket, ev: CloseEvent) => unknown) | null = null;
  /** Called on an error, like `WebSocket.onerror`. */
  onerror: ((this: WebSocket, ev: Event | ErrorEvent) => unknown) | null = null;

  #state: ReadyState = CONNECTING;
  #ws: WsSocket | undefined;
  #raw: Socket | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #idle: IdleEntry | undefined;
  #failed = false;
  /** Set by {@link speaksFirst}: the handshake waits for the first frame. */
  holdsHandshake = false;
  readonly #o: NodeWebSocketOptions;
  /**
   * Event types a listener was ever added for: only those are dispatched
   * (the app listens with `onmessage`, and a dispatch with no listener
   * costs as much as the frame's own handling).
   */
  readonly #listened = new Set<string>();

  /** A socket waiting for its handshake. */
  constructor(options: NodeWebSocketOptions) {
    super();
    this.#o = options;
    this.protocol = options.protocol ?? "";
    this.url = options.url ?? "";
  }

  /** As `EventTarget`'s, noting the type so its events are dispatched. */
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    this.#listened.add(type);
    super.addEventListener(type, listener, options);
  }

  /** `CONNECTING`, `OPEN`, `CLOSING` or `CLOSED`. */
  get readyState(): ReadyState {
    return this.#state;
  }

  /** Bytes written but not yet taken by the kernel. */
  get bufferedAmount(): number {
    return this.#raw?.writableLength ?? 0;
  }

  /**
   * Called just before the handshake's response is written to `raw`: where
   * the server speaks first, the response waits for the first frame.
   */
  handshaking(raw: Socket): void {
    if (this.holdsHandshake && this.#state === CONNECTING) hold(raw);
  }

  /**
   * Completes the connection with the handshaken `ws` socket over `raw`
   * (`ws` turned Nagle's algorithm off already).
   */
  attach(ws: WsSocket, raw: Socket): void {
    if (this.#state !== CONNECTING) {
      raw.destroy();
      return;
    }
    this.#ws = ws;
    this.#raw = raw;
    // `ws` closes a socket whose frame it refuses (too large, bad UTF-8, a
    // protocol error) with the code alone; the peer gets a reason too.
    const close = ws.close.bind(ws);
    ws.close = (code?: number, reason?: string | Buffer) =>
      close(code, reason ?? (code ? PROTOCOL_REASONS[code] : undefined));
    ws.on("message", (data, isBinary) => {
      this.#idle?.heard();
      const payload = isBinary ? toArrayBuffer(data) : String(data);
      this.#emit(new MessageEvent("message", { data: payload }));
    });
    ws.on("pong", () => this.#idle?.heard());
    ws.on("error", (error) => {
      // A protocol error (e.g. a frame over the limit): `ws` sent the close
      // and would read on, discarding; stop reading instead, so the rest of
      // a huge frame waits in the kernel until the reset.
      setTimeout(() => raw.pause(), 0);
      releaseWithTurn(raw);
      this.#failed = true;
      this.#state = CLOSING;
      this.#closeTimer ??= setTimeout(
        () => this.#reset(),
        this.#o.closeTimeoutMs,
      );
      this.#emit(new ErrorEvent("error", { message: error.message, error }));
    });
    ws.on("close", (code, reason) => this.#closed(code, String(reason)));
    // `ws` ends the socket once both close frames have passed; closing it
    // then, rather than waiting for the peer's FIN, tells the app at once
    // (a name or slot the client held is free before its next connect).
    // After a protocol error the peer's unread bytes make the close a reset,
    // which could overtake our close frame: give the frame a moment first.
    raw.once("finish", () => {
      if (this.#failed) {
        setTimeout(() => raw.destroy(), PROTOCOL_ERROR_GRACE_MS);
      } else raw.destroy();
    });
    this.#idle = idleWatch.watch({
      ping: () => {
        if (this.#state === OPEN) ws.ping();
      },
      drop: () => this.#reset(),
    }, this.#o.idleTimeoutS * 1000);
    this.#state = OPEN;
    this.#emit(new Event("open"));
  }

  /** The handshake failed or the connection went before it completed. */
  abort(): void {
    if (this.#state === CONNECTING) this.#closed(1006, "");
  }

  /** Queues a frame; `string`s go as text, anything else as binary. */
  send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
    if (this.#state === CONNECTING) {
      throw new DOMException("The socket is not open yet", "InvalidStateError");
    }
    if (this.#state !== OPEN) return;
    if (held.size > 0) releaseWithTurn(this.#raw!);
    if (typeof data === "string") {
      const raw = this.#raw!;
      if (raw.writableCorked === 0) corkForTurn(raw);
      raw.write(textFrame(data));
    } else if (data instanceof Blob) {
      data.arrayBuffer().then((b) => this.send(b));
    } else this.#ws!.send(data);
  }

  /**
   * Starts the closing handshake; if the peer hasn't answered within the
   * close timeout (a reader that stopped reading never will), the
   * connection is reset.
   */
  close(code?: number, reason?: string): void {
    if (this.#state >= CLOSING) return;
    if (this.#state === CONNECTING) return this.#closed(1006, "");
    this.#state = CLOSING;
    this.#closeTimer = setTimeout(() => this.#reset(), this.#o.closeTimeoutMs);
    this.#ws!.close(code, reason);
    releaseWithTurn(this.#raw!);
  }

  /** Drops the connection at once with a TCP reset, queued data and all. */
  #reset(): void {
    const raw = this.#raw;
    if (!raw || raw.destroyed) return;
    if (typeof raw.resetAndDestroy === "function") raw.resetAndDestroy();
    else raw.destroy();
  }

  #closed(code: number, reason: string): void {
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    clearTimeout(this.#closeTimer);
    this.#idle?.stop();
    this.#emit(
      new CloseEvent("close", { code, reason, wasClean: code !== 1006 }),
    );
  }

  #emit(event: Event | MessageEvent | CloseEvent): void {
    if (this.#listened.has(event.type)) this.dispatchEvent(event);
    if (event instanceof MessageEvent) this.onmessage?.call(this, event);
    else if (event instanceof CloseEvent) this.onclose?.call(this, event);
    else if (event.type === "open") this.onopen?.call(this, event);
    else this.onerror?.call(this, event);
  }
}

function toArrayBuffer(data: Buffer | ArrayBuffer | Buffer[]): ArrayBuffer {
  const b = Array.isArray(data)
    ? Buffer.concat(data)
    : data instanceof ArrayBuffer
    ? Buffer.from(data)
    : data;
  return b.buffer.slice(
    b.byteOffset,
    b.byteOffset + b.byteLength,
  ) as ArrayBuffer;
}
