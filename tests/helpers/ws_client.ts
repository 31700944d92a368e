/**
 * A WebSocket test client that records every frame and waits for the ones a
 * test expects, with a deadline.
 *
 * @module
 */

export type Frame = Record<string, unknown> & { type?: string };

/** A test client that records every frame and waits for the ones it expects. */
export class Client {
  readonly frames: (Frame | string)[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: (() => void)[] = [];

  constructor(
    url: string,
    opts: { json?: boolean; headers?: Record<string, string> } = {},
  ) {
    // Deno's WebSocket takes request headers (e.g. a session cookie).
    this.ws = opts.headers
      ? new WebSocket(url, { headers: opts.headers } as unknown as string[])
      : new WebSocket(url);
    const json = opts.json ?? true;
    this.opened = new Promise((resolve, reject) => {
      this.ws.onopen = () => resolve();
      this.ws.onerror = () => reject(new Error(`could not open ${url}`));
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => {
      this.ws.onclose = (e) => {
        resolve({ code: e.code, reason: e.reason });
        this.#wake();
      };
    });
    this.ws.onmessage = (e) => {
      this.frames.push(json ? JSON.parse(e.data) : e.data);
      this.#wake();
    };
  }

  #wake() {
    const w = this.#waiters;
    this.#waiters = [];
    w.forEach((f) => f());
  }

  of(type: string): Frame[] {
    return this.frames.filter((f): f is Frame =>
      typeof f === "object" && f.type === type
    );
  }

  async until<T>(pick: () => T | undefined | false, ms = 5000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = pick();
      if (v) return v;
      if (Date.now() > end) {
        throw new Error(
          `timed out; frames: ${JSON.stringify(this.frames).slice(0, 800)}`,
        );
      }
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  next(
    type: string,
    match: (f: Frame) => boolean = () => true,
  ): Promise<Frame> {
    return this.until(() => this.of(type).find(match));
  }

  send(frame: Frame | string) {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  async close() {
    if (this.ws.readyState <= WebSocket.OPEN) this.ws.close();
    await this.closed;
  }
}
