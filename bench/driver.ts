/**
 * One client in the orchestrator's own process, for the steps around a load
 * run: creating the room a storm joins, and sending the messages clients
 * miss while they are away. Waits for each answer, so what it did is known
 * (the ids the room reached).
 *
 * @module
 */

/** Frames the driver reads; only the fields it uses. */
interface Frame {
  type: string;
  room?: string;
  clientId?: string;
  id?: number;
  lastId?: number;
  code?: string;
  frame?: { type?: string; room?: string; clientId?: string };
}

interface Waiter {
  resolve: (frame: Frame) => void;
  reject: (error: Error) => void;
}

const ANSWER_MS = 30_000;
/** Creations in flight at once. */
const CREATING = 100;

/** A single client driving the server under test. */
export class Driver {
  readonly #waits = new Map<string, Waiter>();
  #seq = 0;
  #createFailed?: (error: Error) => void;

  private constructor(readonly ws: WebSocket) {
    ws.onmessage = (e) => this.#onFrame(JSON.parse(e.data as string) as Frame);
    ws.onclose = (e) => {
      for (const w of [...this.#waits.values()]) {
        w.reject(new Error(`driver closed ${e.code}`));
      }
    };
  }

  /** Connects as guest `name` and waits for `welcome`. */
  static async open(url: string, name: string): Promise<Driver> {
    const u = new URL(url);
    u.searchParams.set("name", name);
    const driver = new Driver(new WebSocket(u));
    await driver.#answer("welcome", () => {});
    return driver;
  }

  /**
   * Creates public rooms (an existing one is as good). Not for the baseline,
   * which makes a room on `join`. The server handles a socket's `create`s
   * and `join`s in order, so a `join` after a batch of creations answers
   * once they are all done (whatever else a creation is answered with).
   */
  async createRooms(rooms: string[]): Promise<void> {
    for (let i = 0; i < rooms.length; i += CREATING) {
      const batch = rooms.slice(i, i + CREATING);
      const failed = new Promise<never>((_, reject) => {
        this.#createFailed = reject;
      });
      for (const room of batch) {
        this.ws.send(JSON.stringify({ type: "create", room }));
      }
      await Promise.race([this.join(batch.at(-1)!), failed]);
    }
    this.#createFailed = undefined;
  }

  /** Joins `room`; resolves to its last id. */
  async join(room: string): Promise<number> {
    const joined = await this.#answer(
      `joined:${room}`,
      () => this.ws.send(JSON.stringify({ type: "join", room })),
    );
    return joined.lastId ?? 0;
  }

  /** Sends `text` to `room`; resolves to the stored message's id. */
  async send(room: string, text: string): Promise<number> {
    const clientId = `driver.${Date.now()}.${this.#seq++}`;
    const ack = await this.#answer(
      `ack:${clientId}`,
      () =>
        this.ws.send(JSON.stringify({ type: "send", room, text, clientId })),
    );
    return ack.id ?? 0;
  }

  /** Closes the socket and waits until it is closed. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((r) =>
      this.ws.addEventListener("close", r, { once: true })
    );
    this.ws.close(1000, "done");
    await closed;
  }

  #answer(key: string, send: () => void): Promise<Frame> {
    return new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new Error(`driver: no answer for ${key}`)),
        ANSWER_MS,
      );
      const finish = (result: Frame | Error) => {
        clearTimeout(timer);
        this.#waits.delete(key);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      this.#waits.set(key, { resolve: finish, reject: finish });
      send();
    });
  }

  #onFrame(f: Frame): void {
    switch (f.type) {
      case "welcome":
        return this.#waits.get("welcome")?.resolve(f);
      case "joined":
        return this.#waits.get(`joined:${f.room}`)?.resolve(f);
      case "ack":
        return this.#waits.get(`ack:${f.clientId}`)?.resolve(f);
      case "error": {
        const key = f.frame?.type === "send"
          ? `ack:${f.frame.clientId}`
          : f.frame?.type === "join"
          ? `joined:${f.frame.room}`
          : undefined;
        const error = new Error(
          `driver: ${f.frame?.type} ${f.frame?.room ?? ""} ${f.code}`,
        );
        if (f.frame?.type === "create") {
          // An existing room is as good as a new one.
          if (f.code !== "room_exists") this.#createFailed?.(error);
          return;
        }
        if (key) this.#waits.get(key)?.reject(error);
        return;
      }
    }
  }
}
