/**
 * Who is who among live users. Names belong to the server: a guest asking
 * for a name someone else holds gets the next free variant ("mina-2"); the
 * original clients, whose name is in the URL, are refused instead. A guest
 * token (kept by the browser) lets one person's tabs and reconnects share
 * one name.
 *
 * @module
 */
import { USER_NAME } from "./protocol.ts";

/** A claimed identity. */
export interface Identity {
  name: string;
  guest: boolean;
  /** Proves the claim on reconnect; only guests of the native protocol get one. */
  token?: string;
}

interface Holder {
  token: string | null;
  guest: boolean;
  live: number;
  /** When the last connection closed; names are held a while for reconnects. */
  releasedAt: number;
}

/** Options of {@link Identities}. */
export interface IdentityOptions {
  /** Names held by accounts, which guests may not use. */
  isReserved: (name: string) => Promise<boolean>;
  /** How long a guest name stays held after its last connection closes. */
  holdMs?: number;
  now?: () => number;
}

/** Why a claim was refused. */
export class NameError extends Error {
  override name = "NameError";
}

/** The registry of names in use on this instance. */
export class Identities {
  readonly #holders = new Map<string, Holder>();
  readonly #o: Required<IdentityOptions>;

  constructor(options: IdentityOptions) {
    this.#o = {
      ...options,
      holdMs: options.holdMs ?? 5 * 60_000,
      now: options.now ?? Date.now,
    };
  }

  /**
   * Claims a guest name for the native protocol. With the token of an
   * earlier claim, the same name comes back; otherwise the first free
   * variant of `wanted`.
   */
  async claimGuest(wanted: string, token?: string): Promise<Identity> {
    if (!USER_NAME.test(wanted)) throw new NameError(invalidName(wanted));
    if (token) {
      for (const [name, h] of this.#holders) {
        if (h.token === token && name === wanted) {
          h.live++;
          return { name, guest: true, token };
        }
      }
    }
    const fresh = crypto.randomUUID();
    for (let n = 1; n < 1000; n++) {
      const name = n === 1 ? wanted : `${wanted.slice(0, 20)}-${n}`;
      if (this.#taken(name) || await this.#o.isReserved(name)) continue;
      if (this.#taken(name)) continue;
      this.#holders.set(name, {
        token: fresh,
        guest: true,
        live: 1,
        releasedAt: 0,
      });
      return { name, guest: true, token: fresh };
    }
    throw new NameError(`No free variant of the name ${wanted}`);
  }

  /** Claims exactly `name` for an original-protocol client, or refuses. */
  async claimExact(name: string): Promise<Identity> {
    if (!USER_NAME.test(name)) throw new NameError(invalidName(name));
    if (this.#taken(name)) {
      throw new NameError(`Name taken: ${name} is connected already`);
    }
    if (await this.#o.isReserved(name)) {
      throw new NameError(`Name taken: ${name} is an account`);
    }
    if (this.#taken(name)) {
      throw new NameError(`Name taken: ${name} is connected already`);
    }
    this.#holders.set(name, {
      token: null,
      guest: true,
      live: 1,
      releasedAt: 0,
    });
    return { name, guest: true };
  }

  /** Claims an account's own name; an account may have many connections. */
  claimAccount(name: string): Identity {
    const h = this.#holders.get(name);
    if (h && !h.guest) h.live++;
    else {this.#holders.set(name, {
        token: null,
        guest: false,
        live: 1,
        releasedAt: 0,
      });}
    return { name, guest: false };
  }

  /** Releases one connection's hold on a name. */
  release(name: string): void {
    const h = this.#holders.get(name);
    if (!h) return;
    if (--h.live > 0) return;
    if (h.token) h.releasedAt = this.#o.now();
    else this.#holders.delete(name);
  }

  #taken(name: string): boolean {
    const h = this.#holders.get(name);
    if (!h) return false;
    if (h.live > 0) return true;
    if (this.#o.now() - h.releasedAt < this.#o.holdMs) return true;
    this.#holders.delete(name);
    return false;
  }
}

function invalidName(name: string): string {
  return `Invalid name: ${
    JSON.stringify(name.slice(0, 40))
  } (1–24 letters, digits, _ . -)`;
}
