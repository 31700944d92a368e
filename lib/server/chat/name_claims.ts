/**
 * Name holds shared by every instance on one KV database, so two people
 * connected to two replicas can't both be "mina". Each hold names its holder
 * (a guest token, or one original-endpoint connection) and lasts until a
 * deadline its instance keeps pushing forward while the name is in use.
 *
 * @module
 */
import { nameKey } from "./name_skeleton.ts";
import { Batcher } from "@/lib/server/store/batcher.ts";
import { tryCommit } from "@/lib/server/store/kv_commit.ts";

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

/** One claim or release waiting for the next commit. */
interface HoldOp {
  name: string;
  holder: string;
  ttlMs: number;
  release: boolean;
}

/** Distinct names per commit: one check each, KV allows 100. */
const MAX_NAMES = 100;
/**
 * A commit whose checks failed (another instance wrote), or that found the
 * shared file locked, is tried again, with a short wait (about 1.3 s in
 * all at most).
 */
const MAX_ATTEMPTS = 50;

/**
 * {@link NameClaims} in Deno KV, under `["names", key]`, the key being the
 * name's confusable skeleton: look-alike names are one name.
 *
 * Claims and releases are group-committed: those made while a commit is in
 * flight go together in the next one (up to 100 names), each name checked
 * against the version read, so a storm of 10,000 new guests (or renewing
 * their holds) costs about a hundred commits rather than 10,000.
 */
export class KvNameClaims implements NameClaims {
  readonly #kv: Deno.Kv;
  readonly #now: () => number;
  readonly #writes: Batcher<HoldOp, boolean>;

  /** Creates the claims over `kv`. */
  constructor(kv: Deno.Kv, now: () => number = Date.now) {
    this.#kv = kv;
    this.#now = now;
    this.#writes = new Batcher((ops) => this.#commit(ops), {
      maxItems: MAX_NAMES,
    });
  }

  claim(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.#writes.push({ name, holder, ttlMs, release: false });
  }

  async isHeld(name: string): Promise<boolean> {
    const held = (await this.#kv.get<Hold>(["names", nameKey(name)])).value;
    return held !== null && held.until > this.#now();
  }

  async release(name: string, holder: string, ttlMs: number): Promise<void> {
    await this.#writes.push({ name, holder, ttlMs, release: true });
  }

  /**
   * Applies `ops` in order to the holds as read, in one atomic commit
   * checked against those versions; read and applied again on a conflict.
   * A claim of a name another holder holds until later is refused; a
   * release ends only its holder's hold. Contended beyond the attempts,
   * claims are refused (the caller tries another name).
   */
  async #commit(ops: HoldOp[]): Promise<boolean[]> {
    const keys = [...new Set(ops.map((op) => nameKey(op.name)))];
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const entries = await getMany(this.#kv, keys);
      const state = new Map<string, { hold: Hold | null; expireIn: number }>(
        keys.map((k, i) => [k, { hold: entries[i].value, expireIn: 0 }]),
      );
      const now = this.#now();
      const results = ops.map((op) => {
        const s = state.get(nameKey(op.name))!;
        const held = s.hold;
        if (op.release) {
          if (held?.holder !== op.holder) return false;
          s.hold = { holder: op.holder, until: now + op.ttlMs };
          s.expireIn = 2 * Math.max(op.ttlMs, 1);
          return true;
        }
        if (held && held.holder !== op.holder && held.until > now) return false;
        s.hold = { holder: op.holder, until: now + op.ttlMs };
        s.expireIn = 2 * op.ttlMs;
        return true;
      });
      const atomic = this.#kv.atomic();
      let changed = false;
      keys.forEach((k, i) => {
        const s = state.get(k)!;
        if (s.expireIn === 0) return;
        changed = true;
        atomic.check(entries[i]).set(["names", k], s.hold, {
          expireIn: s.expireIn,
        });
      });
      // Another instance writing the shared file is a turn to wait for.
      if (!changed || await tryCommit(atomic, attempt + 1, MAX_ATTEMPTS)) {
        return results;
      }
    }
    return ops.map((op) => op.release);
  }
}

/** `kv.getMany` of `["names", key]` for any number of keys (10 at a time). */
async function getMany(
  kv: Deno.Kv,
  keys: string[],
): Promise<Deno.KvEntryMaybe<Hold>[]> {
  const parts: Promise<Deno.KvEntryMaybe<Hold>[]>[] = [];
  for (let i = 0; i < keys.length; i += 10) {
    parts.push(
      kv.getMany<Hold[]>(keys.slice(i, i + 10).map((k) => ["names", k])),
    );
  }
  return (await Promise.all(parts)).flat();
}
