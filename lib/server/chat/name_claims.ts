/**
 * Name holds shared by every instance on one KV database, so two people
 * connected to two replicas can't both be "mina". Each hold names its holder
 * (a guest token, or one original-endpoint connection) and lasts until a
 * deadline its instance keeps pushing forward while the name is in use.
 *
 * @module
 */
import { nameKey } from "./name_skeleton.ts";

/** Holds on names across instances. */
export interface NameClaims {
  /**
   * Holds `name` for `holder` until `ttlMs` from now: true when it was free,
   * expired, or already this holder's.
   */
  claim(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Ends `holder`'s hold on `name` (if it still has it) after `ttlMs`. */
  release(name: string, holder: string, ttlMs: number): Promise<void>;
  /** Whether anyone holds `name` now. */
  isHeld(name: string): Promise<boolean>;
}

interface Hold {
  holder: string;
  until: number;
}

/**
 * {@link NameClaims} in Deno KV, under `["names", key]`, the key being the
 * name's confusable skeleton: look-alike names are one name.
 */
export class KvNameClaims implements NameClaims {
  readonly #kv: Deno.Kv;
  readonly #now: () => number;

  /** Creates the claims over `kv`. */
  constructor(kv: Deno.Kv, now: () => number = Date.now) {
    this.#kv = kv;
    this.#now = now;
  }

  async claim(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const key = ["names", nameKey(name)];
    for (let attempt = 0; attempt < 10; attempt++) {
      const entry = await this.#kv.get<Hold>(key);
      const now = this.#now();
      const held = entry.value;
      if (held && held.holder !== holder && held.until > now) return false;
      const res = await this.#kv.atomic().check(entry)
        .set(key, { holder, until: now + ttlMs }, { expireIn: 2 * ttlMs })
        .commit();
      if (res.ok) return true;
    }
    return false; // Contended: treat as taken, the caller tries another name.
  }

  async isHeld(name: string): Promise<boolean> {
    const held = (await this.#kv.get<Hold>(["names", nameKey(name)])).value;
    return held !== null && held.until > this.#now();
  }

  async release(name: string, holder: string, ttlMs: number): Promise<void> {
    const key = ["names", nameKey(name)];
    const entry = await this.#kv.get<Hold>(key);
    if (entry.value?.holder !== holder) return;
    await this.#kv.atomic().check(entry)
      .set(key, { holder, until: this.#now() + ttlMs }, {
        expireIn: 2 * Math.max(ttlMs, 1),
      })
      .commit();
  }
}
