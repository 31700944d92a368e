/**
 * The send path's one statement, kept prepared on a lean connection of its
 * own (`postgres_wire.ts`) and reconnected after an outage.
 *
 * @module
 */
import {
  type WireCall,
  WireConnection,
  WireError,
  type WireTarget,
} from "./postgres_wire.ts";

/**
 * SQLSTATEs saying the prepared statement must be prepared again: "cached
 * plan must not change result type" and "prepared statement does not exist".
 */
const STALE = new Set(["0A000", "26000"]);

/**
 * A statement kept prepared on a {@link WireConnection} of its own, opened
 * on first use and again after the connection is lost.
 */
export class WireStatement {
  readonly #target: WireTarget;
  readonly #name: string;
  readonly #text: string;
  #connection?: Promise<WireConnection>;
  #closed = false;

  /** `text` is prepared as `name` on each new connection to `target`. */
  constructor(target: WireTarget, name: string, text: string) {
    this.#target = target;
    this.#name = name;
    this.#text = text;
  }

  /** Connects and prepares now, so a setup it cannot do shows at once. */
  async ready(): Promise<void> {
    await this.#connect();
  }

  /**
   * Runs the statement with `params`; see {@link WireConnection.execute}.
   * When PostgreSQL no longer holds the statement as prepared (its plan
   * outdated by a schema change, say), the call fails and the next one
   * prepares it again on a new connection.
   */
  run(params: (string | null)[]): WireCall<(string | null)[][]> {
    let call: WireCall<(string | null)[][]> | undefined;
    let cancelled = false;
    const rows = this.#connect().then((connection) => {
      if (cancelled) throw new WireError("Cancelled", "57014");
      call = connection.execute(this.#name, params);
      return call.catch((error) => {
        if (STALE.has((error as WireError).code)) connection.close();
        throw error;
      });
    });
    return Object.assign(rows, {
      cancel() {
        cancelled = true;
        call?.cancel();
      },
    });
  }

  /** Closes the connection; later runs fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const connection = this.#connection;
    this.#connection = undefined;
    (await connection?.catch(() => undefined))?.close();
  }

  #connect(): Promise<WireConnection> {
    if (this.#closed) {
      return Promise.reject(
        new WireError("Statement closed", "CONNECTION_ENDED"),
      );
    }
    const current = this.#connection;
    if (current) {
      return current.then((c) => c.closed ? this.#reconnect(current) : c);
    }
    return this.#reconnect(undefined);
  }

  /** Opens a new connection unless another call already replaced `stale`. */
  #reconnect(
    stale: Promise<WireConnection> | undefined,
  ): Promise<WireConnection> {
    if (this.#connection !== stale) return this.#connect();
    const opening = WireConnection.open(this.#target).then(async (c) => {
      await c.prepare(this.#name, this.#text).catch((error) => {
        c.close();
        throw error;
      });
      return c;
    });
    this.#connection = opening;
    // A failed attempt is not kept: the next call tries again.
    opening.catch(() => {
      if (this.#connection === opening) this.#connection = undefined;
    });
    return opening;
  }
}
