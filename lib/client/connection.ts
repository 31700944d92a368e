/**
 * The browser's connection to the chat: one WebSocket for every room one is
 * a member of, reconnecting with backoff, resuming each room after the last
 * message seen, saying which room is on screen, and sending the outbox in
 * order, each message exactly once.
 *
 * Plain TypeScript with signals, so it runs (and is tested) in Deno too.
 *
 * @module
 */
import { type Signal, signal } from "@preact/signals";
import type { ClientFrame, ServerFrame } from "@/lib/shared/protocol.ts";
import { backoffDelay } from "./backoff.ts";
import { isServerFrame } from "./guards.ts";
import { Outbox, type Pending } from "./outbox.ts";

/** Where the connection is. */
export type ConnectionState = "connecting" | "open" | "reconnecting";

/** Options of {@link ChatConnection}. */
export interface ConnectionOptions {
  /** The native endpoint, e.g. `wss://chat.example/ws`. */
  url: string;
  /** The guest name asked for. */
  name: string;
  /** Keeps the outbox and the guest token; `localStorage` in browsers. */
  storage?: Storage;
  /** Receives every frame from the server. */
  onFrame?: (frame: ServerFrame) => void;
  /** The server closed for good (e.g. a refused name): no reconnect. */
  onRejected?: (code: number, reason: string) => void;
  /** Jitter for the backoff, in [0, 1); `Math.random` by default. */
  random?: () => number;
}

/** Close codes after which reconnecting can't help. */
const FINAL_CODES = new Set([1008, 1003]);

/** A reconnecting connection to the chat server. */
export class ChatConnection {
  /** The connection's state, for the banner. */
  readonly state: Signal<ConnectionState> = signal<ConnectionState>(
    "connecting",
  );
  /** When the next reconnect attempt happens (epoch ms), while waiting. */
  readonly retryAt: Signal<number | null> = signal<number | null>(null);
  /** Messages not yet acknowledged, oldest first. */
  readonly pending: Signal<readonly Pending[]> = signal<readonly Pending[]>(
    [],
  );
  readonly #o: ConnectionOptions;
  readonly #outbox: Outbox;
  /**
   * Joined rooms → the last message id seen there; `undefined` when this
   * page holds no history of the room (then no replay is asked for).
   */
  readonly #rooms = new Map<string, number | undefined>();
  /** Rooms whose `joined` arrived on the current socket. */
  readonly #ready = new Set<string>();
  /** Pending messages already sent on the current socket. */
  readonly #sent = new Set<string>();
  /** The room on screen, said again after each reconnect. */
  #view: string | null = null;
  #ws: WebSocket | undefined;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Per room, the timer that sends again after a transient refusal. */
  readonly #retries = new Map<string, ReturnType<typeof setTimeout>>();
  #stopped = false;

  /** Creates an idle connection; {@link ChatConnection.start} opens it. */
  constructor(options: ConnectionOptions) {
    this.#o = options;
    this.#outbox = new Outbox(options.name, options.storage);
    this.pending.value = this.#outbox.items;
  }

  /** Opens the socket; call once. */
  start(): void {
    this.#open();
  }

  /**
   * Joins `room` (for a room one is not a member of yet, that makes one a
   * member), replaying from after `since` when given.
   */
  join(room: string, since?: number): void {
    if (this.#rooms.has(room)) return;
    this.#rooms.set(room, since);
    if (this.state.peek() === "open") {
      this.#send(joinFrame(room, since));
    }
  }

  /** Leaves `room`: membership ends. */
  leave(room: string): void {
    this.forget(room);
    this.sendFrame({ type: "leave", room });
  }

  /** Stops asking for `room` on reconnect (membership ended elsewhere). */
  forget(room: string): void {
    this.#rooms.delete(room);
    this.#ready.delete(room);
  }

  /** Shows `room` (null: none): its presence and typing come to this socket. */
  view(room: string | null): void {
    if (this.#view === room) return;
    this.#view = room;
    this.sendFrame({ type: "view", room });
  }

  /** How many rooms this connection has joined. */
  get joined(): number {
    return this.#rooms.size;
  }

  /** Records that message `id` of a joined `room` was seen (e.g. from history). */
  seen(room: string, id: number): void {
    // A room not joined stays so: joining would make one a member.
    if (this.#rooms.has(room) && (this.#rooms.get(room) ?? -1) < id) {
      this.#rooms.set(room, id);
    }
  }

  /**
   * Queues `text` for `room`; it is sent now or after reconnecting. With
   * `reply`, it is a reply in the thread of `reply.parent`.
   */
  send(
    room: string,
    text: string,
    reply?: { parent: number; alsoInRoom?: boolean },
  ): Pending {
    const p: Pending = {
      room,
      text,
      clientId: crypto.randomUUID(),
      ts: Date.now(),
      ...(reply ? { parent: reply.parent } : {}),
      ...(reply?.alsoInRoom ? { alsoInRoom: true } : {}),
    };
    this.#outbox.add(p);
    this.pending.value = this.#outbox.items;
    this.#flush(room);
    return p;
  }

  /** Sends a refused message again. */
  retry(clientId: string): void {
    const p = this.#outbox.items.find((x) => x.clientId === clientId);
    if (!p) return;
    this.#outbox.mark(clientId, undefined);
    this.pending.value = this.#outbox.items;
    this.#sent.delete(clientId);
    this.#flush(p.room);
  }

  /** Drops a refused message. */
  discard(clientId: string): void {
    this.#outbox.remove(clientId);
    this.pending.value = this.#outbox.items;
  }

  /** Sends a frame if connected; returns whether it went out. */
  sendFrame(frame: ClientFrame): boolean {
    if (this.state.peek() !== "open") return false;
    this.#send(frame);
    return true;
  }

  /**
   * Reconnects now instead of waiting out the backoff (a "Retry now" click,
   * the browser coming online, the tab coming back); no-op unless waiting.
   */
  retryNow(): void {
    if (this.#stopped || this.#ws || this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#open();
  }

  /** Closes for good. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    for (const t of this.#retries.values()) clearTimeout(t);
    this.#retries.clear();
    this.#ws?.close(1000, "Bye");
  }

  #open(): void {
    const url = new URL(this.#o.url);
    // A guest given a variant ("ana-2") asks for that one again: its token
    // holds that name, not the one first asked for.
    const granted = this.#o.storage?.getItem(`chat:granted:${this.#o.name}`);
    url.searchParams.set("name", granted ?? this.#o.name);
    const token = this.#o.storage?.getItem(`chat:token:${this.#o.name}`);
    if (token) url.searchParams.set("token", token);
    this.retryAt.value = null;
    const ws = new WebSocket(url);
    this.#ws = ws;
    ws.onmessage = (e) => {
      if (typeof e.data !== "string") return;
      let frame: unknown;
      try {
        frame = JSON.parse(e.data);
      } catch {
        return console.error("Not JSON from the server:", e.data.slice(0, 80));
      }
      if (isServerFrame(frame)) this.#onFrame(frame);
    };
    ws.onclose = (e) => {
      if (this.#ws !== ws) return;
      this.#ws = undefined;
      this.#ready.clear();
      this.#sent.clear();
      if (this.#stopped) return;
      if (FINAL_CODES.has(e.code)) {
        this.#stopped = true;
        this.#o.onRejected?.(e.code, e.reason);
        return;
      }
      this.state.value = "reconnecting";
      const delay = backoffDelay(this.#attempt++, this.#o.random);
      this.retryAt.value = Date.now() + delay;
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#open();
      }, delay);
    };
  }

  #onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case "welcome":
        if (frame.token) {
          this.#o.storage?.setItem(`chat:token:${this.#o.name}`, frame.token);
          this.#o.storage?.setItem(
            `chat:granted:${this.#o.name}`,
            frame.user.name,
          );
        }
        this.#attempt = 0;
        this.state.value = "open";
        // Only rooms one is still a member of: a join would make one a
        // member again of a room left on another tab.
        for (const [room, since] of this.#rooms) {
          if (frame.rooms.some((r) => r.id === room)) {
            this.#send(joinFrame(room, since));
          } else this.#rooms.delete(room);
        }
        if (this.#view !== null) {
          this.#send({ type: "view", room: this.#view });
        }
        break;
      case "left":
      case "room_deleted":
        this.forget(frame.room);
        break;
      case "joined":
        this.#ready.add(frame.room);
        // Another tab, since closed, may have left messages to send.
        this.#outbox.sync();
        this.pending.value = this.#outbox.items;
        this.#flush(frame.room);
        break;
      case "message":
        this.seen(frame.room, frame.id);
        if (frame.clientId) this.#delivered(frame.room, frame.clientId);
        break;
      case "ack":
        this.seen(frame.room, frame.id);
        this.#delivered(frame.room, frame.clientId);
        break;
      case "error": {
        const ref = frame.frame;
        if (ref?.type === "join" && ref.room && isTransient(frame.code)) {
          this.#rejoinLater(ref.room);
          break;
        }
        if (ref?.clientId && !isTransient(frame.code)) {
          this.#outbox.mark(ref.clientId, frame.message);
          this.pending.value = this.#outbox.items;
          this.#sent.delete(ref.clientId);
          if (ref.room) this.#flush(ref.room);
        } else if (ref?.clientId) {
          // Transient: the same message goes again first, a little later.
          this.#sent.delete(ref.clientId);
          const room = ref.room ?? "";
          clearTimeout(this.#retries.get(room));
          this.#retries.set(
            room,
            setTimeout(() => {
              this.#retries.delete(room);
              this.#flush(room);
            }, 1000),
          );
        }
        break;
      }
    }
    this.#o.onFrame?.(frame);
  }

  /**
   * Asks for a room again a little later when its join met a passing
   * refusal (the join budget spent, the store away): until `joined` comes,
   * the room's outbox waits.
   */
  #rejoinLater(room: string): void {
    const key = `join:${room}`;
    clearTimeout(this.#retries.get(key));
    this.#retries.set(
      key,
      setTimeout(() => {
        this.#retries.delete(key);
        if (!this.#rooms.has(room) || this.#ready.has(room)) return;
        if (this.state.peek() === "open") {
          this.#send(joinFrame(room, this.#rooms.get(room)));
        }
      }, 1000),
    );
  }

  #delivered(room: string, clientId: string): void {
    this.#sent.delete(clientId);
    if (!this.#outbox.remove(clientId)) return;
    this.pending.value = this.#outbox.items;
    this.#flush(room);
  }

  /**
   * Sends the room's oldest unsent message, one at a time per room, so a
   * message retried after a transient error can't be overtaken.
   */
  #flush(room: string): void {
    if (this.state.peek() !== "open" || !this.#ready.has(room)) return;
    for (const p of this.#outbox.items) {
      if (p.room !== room || p.error) continue;
      if (this.#sent.has(p.clientId)) return;
      this.#sent.add(p.clientId);
      this.#send({
        type: "send",
        room,
        text: p.text,
        clientId: p.clientId,
        ...(p.parent !== undefined ? { parent: p.parent } : {}),
        ...(p.alsoInRoom ? { alsoInRoom: true } : {}),
      });
      return;
    }
  }

  #send(frame: ClientFrame): void {
    this.#ws?.send(JSON.stringify(frame));
  }
}

/** Refusals that pass by themselves: the same frame later may succeed. */
export const isTransient = (code: string): boolean =>
  code === "rate_limited" || code === "unavailable";

function joinFrame(room: string, since: number | undefined): ClientFrame {
  return since === undefined
    ? { type: "join", room }
    : { type: "join", room, since };
}
