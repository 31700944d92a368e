/**
 * A plain client for chaos tests: it keeps an outbox of unacked sends,
 * resumes by last id after reconnecting, and throws on a repeated or
 * reordered message.
 *
 * @module
 */
/** A message as a client received it. */
export interface Received {
  id: number;
  clientId?: string;
  user: string;
  /** Set on a stored membership event. */
  event?: unknown;
}

/** A deliberately plain resilient client: outbox, resume by last id, reconnect. */
export class ResilientClient {
  ws?: WebSocket;
  lastId = 0;
  received: Received[] = [];
  outbox: { clientId: string; text: string }[] = [];
  acked = new Map<string, number>();
  seq = 0;
  closed = false;
  token?: string;
  name = "";

  constructor(
    readonly base: string,
    readonly wanted: string,
    readonly room: string,
  ) {}

  connect(): void {
    if (this.closed) return;
    const q = new URLSearchParams({ name: this.wanted });
    if (this.token) q.set("token", this.token);
    const ws = new WebSocket(`${this.base.replace("http", "ws")}/ws?${q}`);
    this.ws = ws;
    ws.onmessage = (e) => this.#onFrame(JSON.parse(e.data));
    ws.onclose = () => {
      if (this.ws === ws) this.ws = undefined;
      if (!this.closed) {
        setTimeout(() => this.connect(), 100 + Math.random() * 100);
      }
    };
    ws.onerror = () => {};
  }

  #onFrame(f: Record<string, unknown>) {
    switch (f.type) {
      case "welcome":
        this.token = f.token as string;
        this.name = (f.user as { name: string }).name;
        this.ws!.send(
          JSON.stringify({ type: "join", room: this.room, since: this.lastId }),
        );
        for (const m of this.outbox) this.#transmit(m);
        return;
      case "message": {
        const id = f.id as number;
        if (id <= this.lastId) {
          throw new Error(
            `${this.wanted}: repeated or reordered ${id} after ${this.lastId}`,
          );
        }
        this.lastId = id;
        this.received.push({
          id,
          clientId: f.clientId as string,
          user: f.user as string,
        });
        return;
      }
      case "ack": {
        const i = this.outbox.findIndex((m) => m.clientId === f.clientId);
        if (i >= 0) this.outbox.splice(i, 1);
        this.acked.set(f.clientId as string, f.id as number);
        return;
      }
      case "error": {
        if (f.code !== "not_joined" && f.code !== "unavailable") {
          throw new Error(
            `${this.wanted}: unexpected error frame ${JSON.stringify(f)}`,
          );
        }
        // A join the store could not serve is asked again, as the
        // browser's connection does; sends wait for it.
        const ref = f.frame as { type?: string } | undefined;
        const ws = this.ws;
        if (ref?.type === "join" && ws) {
          setTimeout(() => {
            if (ws.readyState !== WebSocket.OPEN) return;
            ws.send(JSON.stringify({
              type: "join",
              room: this.room,
              since: this.lastId,
            }));
          }, 200);
        }
      }
    }
  }

  #transmit(m: { clientId: string; text: string }) {
    if (this.ws?.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({ type: "send", room: this.room, ...m }));
    }
  }

  send(): void {
    const m = {
      clientId: `${this.wanted}-${++this.seq}`,
      text: `${this.wanted} #${this.seq}`,
    };
    this.outbox.push(m);
    this.#transmit(m);
  }

  /** Resends what is unacked, as a client's retry timer would. */
  retry(): void {
    for (const m of this.outbox) this.#transmit(m);
  }

  close(): void {
    this.closed = true;
    this.ws?.close();
  }
}
