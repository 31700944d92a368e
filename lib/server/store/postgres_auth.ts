/**
 * Password authentication for the PostgreSQL wire connection
 * (`postgres_wire.ts`): the MD5 exchange and SCRAM-SHA-256 (RFC 5802 and
 * 7677, without channel binding), as PostgreSQL asks for them.
 *
 * @module
 */
import {
  createHash,
  createHmac,
  pbkdf2Sync,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";
import { Buffer } from "node:buffer";

/**
 * The answer to PostgreSQL's MD5 challenge: `"md5"` followed by the hex of
 * md5(hex(md5(password + user)) + salt).
 */
export function md5Password(
  user: string,
  password: string,
  salt: Uint8Array,
): string {
  const inner = createHash("md5").update(password + user).digest("hex");
  return "md5" + createHash("md5").update(inner).update(salt).digest("hex");
}

const hmac = (key: Uint8Array, text: string) =>
  createHmac("sha256", key).update(text).digest();

/**
 * One SCRAM-SHA-256 exchange, as a client: {@link first}, then
 * {@link final} for the server's first message, then {@link verify} for its
 * last, which proves the server knew the password too.
 *
 * @example
 * ```ts
 * const scram = new Scram("secret");
 * send(scram.first());
 * send(scram.final(serverFirst));
 * if (!scram.verify(serverFinal)) throw new Error("Server not proven");
 * ```
 */
export class Scram {
  readonly #password: string;
  readonly #nonce: string;
  readonly #user: string;
  /** What `verify` expects, once `final` has run. */
  #serverSignature?: Uint8Array;

  /**
   * `options.nonce` is injectable for tests (by default 18 random bytes);
   * `options.user` defaults to none, as PostgreSQL takes the user from the
   * startup message and ignores this one.
   */
  constructor(
    password: string,
    options: { nonce?: string; user?: string } = {},
  ) {
    this.#password = password;
    this.#nonce = options.nonce ?? randomBytes(18).toString("base64");
    this.#user = (options.user ?? "").replaceAll("=", "=3D").replaceAll(
      ",",
      "=2C",
    );
  }

  /** The client-first message. */
  first(): string {
    return "n,," + this.#bare();
  }

  /** The client-final message for the server-first message `server`. */
  final(server: string): string {
    const fields = new Map(
      server.split(",").map((f) => [f.slice(0, 1), f.slice(2)]),
    );
    const nonce = fields.get("r") ?? "";
    const salt = fields.get("s");
    const iterations = Number(fields.get("i"));
    if (!nonce.startsWith(this.#nonce) || nonce === this.#nonce) {
      throw new Error("SCRAM: the server's nonce does not extend ours");
    }
    if (salt === undefined || !Number.isInteger(iterations) || iterations < 1) {
      throw new Error("SCRAM: the server's first message is malformed");
    }
    const salted = pbkdf2Sync(
      this.#password,
      Buffer.from(salt, "base64"),
      iterations,
      32,
      "sha256",
    );
    const clientKey = hmac(salted, "Client Key");
    const storedKey = createHash("sha256").update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`;
    const auth = `${this.#bare()},${server},${withoutProof}`;
    const signature = hmac(storedKey, auth);
    const proof = clientKey.map((b, i) => b ^ signature[i]);
    this.#serverSignature = hmac(hmac(salted, "Server Key"), auth);
    return `${withoutProof},p=${Buffer.from(proof).toString("base64")}`;
  }

  /** Whether the server-final message `server` carries the right signature. */
  verify(server: string): boolean {
    if (!this.#serverSignature || !server.startsWith("v=")) return false;
    const got = Buffer.from(server.slice(2).split(",")[0], "base64");
    return got.length === this.#serverSignature.length &&
      timingSafeEqual(got, this.#serverSignature);
  }

  #bare(): string {
    return `n=${this.#user},r=${this.#nonce}`;
  }
}
