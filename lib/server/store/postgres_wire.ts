/**
 * A lean PostgreSQL connection for the one statement on every send's path
 * (`chat_append`'s commit), speaking the wire protocol over the runtime's
 * own TCP socket: a statement prepared once, then each call one write
 * (Bind, Execute, Sync) and its rows read back as text.
 *
 * Everything else goes through the `postgres` client's pool. This exists
 * because that client costs about as much CPU per round trip as the socket
 * operations themselves (measured in docs/postgres-performance.md), and
 * commits come hundreds of times a second. It does what that one statement
 * needs and no more: plain TCP, trust, password, MD5 or SCRAM-SHA-256
 * authentication, text parameters and results. A URL asking for more
 * (TLS, query parameters, several hosts) is {@link WireUnsupportedError},
 * and the store keeps the client for its sends.
 *
 * @module
 */
import { md5Password, Scram } from "./postgres_auth.ts";

/** A failure of the connection or of a statement, coded as the store's checks read it. */
export class WireError extends Error {
  /** A SQLSTATE, or a socket-level code such as `CONNECTION_CLOSED`. */
  readonly code: string;
  /** For a server error: `ERROR`, `FATAL` or `PANIC`. */
  readonly severity?: string;

  /** A server error is named `PostgresError`, as the client's are. */
  constructor(
    message: string,
    code: string,
    options: { severity?: string; server?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = options.server ? "PostgresError" : "WireError";
    this.code = code;
    this.severity = options.severity;
  }
}

/** What this connection cannot do for a URL (TLS, say); not an outage. */
export class WireUnsupportedError extends Error {
  /** Always `"WireUnsupportedError"`. */
  override name = "WireUnsupportedError";
}

/** Where and as whom to connect, read from a `postgres://` URL. */
export interface WireTarget {
  hostname: string;
  port: number;
  user: string;
  password?: string;
  database: string;
}

/**
 * Reads `url` as a plain TCP target, or throws
 * {@link WireUnsupportedError} saying what it asks for that the wire
 * connection does not do.
 */
export function wireTarget(url: string): WireTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new WireUnsupportedError("the URL is not a single host");
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") {
    throw new WireUnsupportedError(`the scheme ${u.protocol} is not postgres:`);
  }
  for (const [key, value] of u.searchParams) {
    if (key === "sslmode" && value === "disable") continue;
    throw new WireUnsupportedError(`the URL sets ${key}=${value}`);
  }
  const user = decodeURIComponent(u.username);
  if (!u.hostname || !user) {
    throw new WireUnsupportedError("the URL names no host or no user");
  }
  const database = decodeURIComponent(u.pathname.slice(1)) || user;
  return {
    hostname: u.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: u.port ? Number(u.port) : 5432,
    user,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database,
  };
}

/** A call in flight: the rows its answer carries, until ReadyForQuery. */
interface Pending {
  rows: (string | null)[][];
  error?: WireError;
  resolve(rows: (string | null)[][]): void;
  reject(error: unknown): void;
}

/** A call that can be cancelled (see {@link WireConnection.execute}). */
export type WireCall<T> = Promise<T> & { cancel(): void };

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const PROTOCOL_3 = 196608;
const CANCEL_CODE = 80877102;

/** A message of type `type` (none for the startup) with `body`'s bytes. */
function message(type: string | null, ...parts: Uint8Array[]): Uint8Array {
  const head = type === null ? 0 : 1;
  const length = parts.reduce((n, p) => n + p.length, 4);
  const out = new Uint8Array(head + length);
  if (type !== null) out[0] = type.charCodeAt(0);
  new DataView(out.buffer).setInt32(head, length);
  let at = head + 4;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const cstring = (s: string) => encoder.encode(s + "\0");
const int32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, n);
  return b;
};
const SYNC = message("S");

/** The fields of an ErrorResponse as a {@link WireError}. */
function serverError(body: Uint8Array): WireError {
  const fields = new Map<string, string>();
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    const end = body.indexOf(0, at + 1);
    fields.set(
      String.fromCharCode(body[at]),
      decoder.decode(body.subarray(at + 1, end)),
    );
    at = end + 1;
  }
  return new WireError(
    fields.get("M") ?? "PostgreSQL error",
    fields.get("C") ?? "XX000",
    {
      severity: fields.get("V") ?? fields.get("S"),
      server: true,
    },
  );
}

/**
 * One connection, opened with {@link WireConnection.open}. Calls may be
 * made without waiting for the one before; answers come in order.
 */
export class WireConnection {
  readonly #conn: Deno.TcpConn;
  readonly #target: WireTarget;
  #buffer = new Uint8Array(16 * 1024);
  #view = new DataView(this.#buffer.buffer);
  #filled = 0;
  readonly #pending: Pending[] = [];
  #writing: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** The backend's process id and secret, for cancelling. */
  #key?: Uint8Array;
  /** Set while authenticating: what to do with each message. */
  #startup?: (type: number, body: Uint8Array) => void;

  private constructor(conn: Deno.TcpConn, target: WireTarget) {
    this.#conn = conn;
    this.#target = target;
  }

  /**
   * Connects and authenticates, within `timeoutMs`. A socket failure is a
   * {@link WireError} with a connection code; an authentication method it
   * does not speak is {@link WireUnsupportedError}.
   */
  static async open(
    target: WireTarget,
    timeoutMs = 5000,
  ): Promise<WireConnection> {
    const conn = await connectWithin(target, timeoutMs);
    conn.setNoDelay(true);
    const wire = new WireConnection(conn, target);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        wire.#authenticate(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new WireError(
                  "PostgreSQL did not finish the startup in time",
                  "CONNECT_TIMEOUT",
                ),
              ),
            timeoutMs,
          );
        }),
      ]);
      return wire;
    } catch (error) {
      wire.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether the connection is gone (closed, or failed); calls then fail. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Prepares `text` as the statement `name` on this connection. */
  async prepare(name: string, text: string): Promise<void> {
    await this.#call(
      message("P", cstring(name), cstring(text), new Uint8Array(2)),
      SYNC,
    );
  }

  /**
   * Runs the prepared statement `name` with text `params` (null for SQL
   * NULL) in its own implicit transaction, committed before the answer;
   * resolves with its rows, each column as text. `cancel()` asks
   * PostgreSQL to cancel it and closes the connection: a half-open
   * connection is not reused.
   */
  execute(
    name: string,
    params: (string | null)[],
  ): WireCall<(string | null)[][]> {
    const values = params.map((p) => p === null ? null : encoder.encode(p));
    let length = 4 + 1 + name.length + 1 + 2 + 2 + 2;
    for (const v of values) length += 4 + (v?.length ?? 0);
    const out = new Uint8Array(1 + length + 10 + 5);
    const view = new DataView(out.buffer);
    out[0] = 0x42; // Bind
    view.setInt32(1, length);
    let at = 6; // unnamed portal: one NUL, already there
    at += encoder.encodeInto(name, out.subarray(at)).written + 1;
    at += 2; // no parameter format codes: all text
    view.setInt16(at, values.length);
    at += 2;
    for (const v of values) {
      view.setInt32(at, v === null ? -1 : v.length);
      at += 4;
      if (v) {
        out.set(v, at);
        at += v.length;
      }
    }
    at += 2; // no result format codes: all text
    out[at] = 0x45; // Execute the unnamed portal, all rows
    view.setInt32(at + 1, 9);
    at += 10;
    out.set(SYNC, at);
    const call = this.#call(out);
    return Object.assign(call, { cancel: () => this.#cancel() });
  }

  /** Closes the socket; calls in flight fail as a lost connection. */
  close(): void {
    this.#fail(new WireError("Connection closed", "CONNECTION_CLOSED"));
  }

  #call(...parts: Uint8Array[]): Promise<(string | null)[][]> {
    if (this.#closed) {
      return Promise.reject(
        new WireError("Connection closed", "CONNECTION_CLOSED"),
      );
    }
    return new Promise((resolve, reject) => {
      this.#pending.push({ rows: [], resolve, reject });
      for (const p of parts) this.#write(p);
    });
  }

  /** Writes `bytes` after every earlier write, whole. */
  #write(bytes: Uint8Array): void {
    this.#writing = this.#writing.then(async () => {
      let at = 0;
      while (at < bytes.length && !this.#closed) {
        at += await this.#conn.write(bytes.subarray(at));
      }
    }).catch((error) => this.#fail(lost(error)));
  }

  /** Sends the startup, answers the server's challenge, waits for ReadyForQuery. */
  #authenticate(): Promise<void> {
    const { user, database } = this.#target;
    this.#write(message(
      null,
      int32(PROTOCOL_3),
      cstring("user"),
      cstring(user),
      cstring("database"),
      cstring(database),
      cstring("application_name"),
      cstring("chat sends"),
      new Uint8Array(1),
    ));
    return new Promise<void>((resolve, reject) => {
      let scram: Scram | undefined;
      const password = () => {
        if (this.#target.password === undefined) {
          throw new WireUnsupportedError(
            "PostgreSQL asks for a password the URL does not give",
          );
        }
        return this.#target.password;
      };
      // The startup's pending entry catches a lost socket or an ErrorResponse.
      this.#pending.push({ rows: [], resolve: () => resolve(), reject });
      this.#startup = (type, body) => {
        if (type === 0x4b) this.#key = body.slice(0, 8); // BackendKeyData
        if (type !== 0x52) return; // Authentication*
        const kind = new DataView(body.buffer, body.byteOffset).getInt32(0);
        if (kind === 0) return; // AuthenticationOk
        if (kind === 3) return this.#write(message("p", cstring(password())));
        if (kind === 5) {
          return this.#write(
            message(
              "p",
              cstring(md5Password(user, password(), body.slice(4, 8))),
            ),
          );
        }
        if (kind === 10) {
          const mechanisms = decoder.decode(body.subarray(4)).split("\0");
          if (!mechanisms.includes("SCRAM-SHA-256")) {
            throw new WireUnsupportedError(
              `PostgreSQL offers only ${mechanisms.filter(Boolean).join(", ")}`,
            );
          }
          scram = new Scram(password());
          const first = encoder.encode(scram.first());
          return this.#write(
            message("p", cstring("SCRAM-SHA-256"), int32(first.length), first),
          );
        }
        if (kind === 11 && scram) {
          return this.#write(
            message(
              "p",
              encoder.encode(scram.final(decoder.decode(body.subarray(4)))),
            ),
          );
        }
        if (kind === 12 && scram?.verify(decoder.decode(body.subarray(4)))) {
          return;
        }
        if (kind === 12) {
          throw new WireError("PostgreSQL's SCRAM signature is wrong", "28000");
        }
        throw new WireUnsupportedError(
          `PostgreSQL asks for authentication method ${kind}`,
        );
      };
      this.#read();
    }).finally(() => this.#startup = undefined);
  }

  /** Reads and dispatches messages until the socket ends. */
  async #read(): Promise<void> {
    try {
      while (!this.#closed) {
        if (this.#filled === this.#buffer.length) this.#grow();
        const n = await this.#conn.read(this.#buffer.subarray(this.#filled));
        if (n === null) {
          throw new WireError(
            "PostgreSQL closed the connection",
            "CONNECTION_CLOSED",
          );
        }
        this.#filled += n;
        this.#dispatch();
      }
    } catch (error) {
      this.#fail(
        error instanceof WireError || error instanceof WireUnsupportedError
          ? error
          : lost(error),
      );
    }
  }

  /** Handles every whole message in the buffer and keeps the rest. */
  #dispatch(): void {
    const buffer = this.#buffer;
    const view = this.#view;
    let at = 0;
    while (this.#filled - at >= 5) {
      const end = at + 1 + view.getInt32(at + 1);
      if (end > this.#filled) break;
      const type = buffer[at];
      if (this.#startup && type !== 0x45 && type !== 0x5a) {
        this.#startup(type, buffer.subarray(at + 5, end));
      } else if (type === 0x44) { // DataRow
        const row: (string | null)[] = new Array(view.getInt16(at + 5));
        let field = at + 7;
        for (let i = 0; i < row.length; i++) {
          const length = view.getInt32(field);
          field += 4;
          row[i] = length < 0
            ? null
            : decoder.decode(buffer.subarray(field, field + length));
          if (length > 0) field += length;
        }
        this.#pending[0]?.rows.push(row);
      } else if (type === 0x45) { // ErrorResponse
        const error = serverError(buffer.subarray(at + 5, end));
        if (
          error.severity === "FATAL" || error.severity === "PANIC" ||
          !this.#pending[0]
        ) {
          throw error;
        }
        this.#pending[0].error ??= error;
      } else if (type === 0x5a) { // ReadyForQuery
        this.#startup = undefined;
        const done = this.#pending.shift();
        if (done?.error) done.reject(done.error);
        else done?.resolve(done.rows);
      }
      // The rest (completions, notices, parameter status) carry nothing needed.
      at = end;
    }
    if (at > 0) {
      buffer.copyWithin(0, at, this.#filled);
      this.#filled -= at;
    }
  }

  #grow(): void {
    const bigger = new Uint8Array(this.#buffer.length * 2);
    bigger.set(this.#buffer);
    this.#buffer = bigger;
    this.#view = new DataView(bigger.buffer);
  }

  /** Asks PostgreSQL on a connection of its own to cancel, then closes. */
  #cancel(): void {
    const key = this.#key;
    this.close();
    if (!key) return;
    connectWithin(this.#target, 2000).then(async (conn) => {
      try {
        await conn.write(message(null, int32(CANCEL_CODE), key));
      } finally {
        conn.close();
      }
    }).catch(
      () => {/* the deadline already reported the call; nothing to add */},
    );
  }

  /** Closes once and fails every call in flight with `error`. */
  #fail(error: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch { /* already closed by the peer */ }
    for (const p of this.#pending.splice(0)) p.reject(error);
  }
}

/** A socket failure as a {@link WireError} with the code the store reads. */
function lost(error: unknown): WireError {
  const code = error instanceof Deno.errors.ConnectionRefused
    ? "ECONNREFUSED"
    : error instanceof Deno.errors.ConnectionReset
    ? "ECONNRESET"
    : "CONNECTION_CLOSED";
  return new WireError(`PostgreSQL connection lost: ${error}`, code, {
    cause: error,
  });
}

/** A TCP connection to `target`, or a {@link WireError} within `timeoutMs`. */
async function connectWithin(
  target: WireTarget,
  timeoutMs: number,
): Promise<Deno.TcpConn> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    return await Deno.connect({
      hostname: target.hostname,
      port: target.port,
      signal,
    });
  } catch (error) {
    if (signal.aborted) {
      throw new WireError(
        `PostgreSQL did not answer within ${timeoutMs} ms`,
        "CONNECT_TIMEOUT",
      );
    }
    throw lost(error);
  }
}
