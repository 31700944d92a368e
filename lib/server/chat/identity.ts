/**
 * Who is who among live users. Names belong to the server: a guest asking
 * for a name someone else holds gets the next free variant ("mina-2"); the
 * original clients, whose name is in the URL, are refused instead. A guest
 * token (kept by the browser) lets one person's tabs and reconnects share
 * one name.
 *
 * @module
 */
import { fold, USER_NAME } from "@/lib/shared/names.ts";
import { nameKey, nameProblem } from "./name_skeleton.ts";
import { guestKey, newGuestToken } from "./guest_token.ts";
import type { NameClaims } from "./name_claims.ts";
import { logger } from "@/lib/server/log.ts";

const log = logger("identity");

/** A claimed identity. */
export interface Identity {
  /** The name granted, case kept. */
  name: string;
  /** Whether it is a guest's name rather than an account's. */
  guest: boolean;
  /** Proves the claim on reconnect; only guests of the native protocol get one. */
  token?: string;
  /**
   * The token was issued by this claim: nothing stored can name this
   * guest yet (no membership, no read state), so nothing need be read.
   */
  issued?: boolean;
}

interface Holder {
  /** The name as its holder wrote it. */
  name: string;
  /** Who holds it in the shared claims: a guest token, or one connection. */
  id: string;
  token: string | null;
  guest: boolean;
  live: number;
  /** When the last connection closed; names are held a while for reconnects. */
  releasedAt: number;
  /** When the shared hold was last claimed or renewed. */
  claimedAt: number;
}

/** Options of {@link Identities}. */
export interface IdentityOptions {
  /** Names held by accounts, which guests may not use. */
  isReserved: (name: string) => Promise<boolean>;
  /** How long a guest name stays held after its last connection closes. */
  holdMs?: number;
  /** The clock, in epoch milliseconds; `Date.now` by default. */
  now?: () => number;
  /** Holds shared with other instances; without it names are per instance. */
  claims?: NameClaims;
  /** How long a shared hold lasts unless renewed (default 60 s). */
  claimTtlMs?: number;
}

/**
 * Who is behind an identity, beyond its display name: an account's folded
 * name, or the SHA-256 of a guest's token (so the store never holds a
 * token). Undefined for clients without a token (the original endpoints),
 * which are known by name only.
 */
export function authorKey(identity: Identity): string | undefined {
  if (!identity.guest) return accountKey(identity.name);
  return identity.token ? guestHolder(identity.token) : undefined;
}

/**
 * The member key of whoever makes an HTTP request: the signed-in account,
 * else the guest whose token is in the `X-Guest-Token` header; undefined
 * for neither.
 */
export function requesterKey(
  req: Request,
  user: { name: string } | null | undefined,
): string | undefined {
  if (user) return authorKey({ name: user.name, guest: false });
  const token = req.headers.get("x-guest-token") ?? undefined;
  return token ? authorKey({ name: "", guest: true, token }) : undefined;
}

/** The member key of the account `name` (see {@link authorKey}). */
export function accountKey(name: string): string {
  return `account:${fold(name)}`;
}

/** The holder id of a guest token in the shared claims and the store. */
const guestHolder = guestKey;

/** Guest tokens as issued (UUIDs; see `guest_token.ts`). */
const TOKEN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether `token` has the shape of a guest token as issued. */
export function isGuestToken(token: string | undefined | null): boolean {
  return typeof token === "string" && TOKEN.test(token);
}

/**
 * How often per hold lifetime the holds are looked at for renewal: a hold is
 * renewed at most a third plus a sixth of its lifetime after its claim.
 */
const RENEW_CHECKS = 6;

/** Why a claim was refused. */
export class NameError extends Error {
  /** Always `"NameError"`. */
  override name = "NameError";
}

/**
 * The registry of names in use on this instance. Names are compared
 * case-insensitively (NFKC, lower case), so "Mina" and "mina" are one name.
 */
export class Identities {
  /** Folded name → who holds it. */
  readonly #holders = new Map<string, Holder>();
  /**
   * Guest holders whose last connection closed, oldest release first, so
   * lapsed holds are found without walking every holder. An entry may be
   * stale (claimed again, or replaced); `#sweep` drops it.
   */
  readonly #released = new Set<Holder>();
  readonly #o: Required<Omit<IdentityOptions, "claims">>;
  readonly #claims: NameClaims | undefined;
  readonly #renewal: ReturnType<typeof setInterval> | undefined;

  /** Creates an empty registry. */
  constructor(options: IdentityOptions) {
    this.#o = {
      ...options,
      holdMs: options.holdMs ?? 5 * 60_000,
      now: options.now ?? Date.now,
      claimTtlMs: options.claimTtlMs ?? 60_000,
    };
    this.#claims = options.claims;
    if (this.#claims) {
      this.#renewal = setInterval(
        () => this.#renew(),
        this.#o.claimTtlMs / RENEW_CHECKS,
      );
    }
  }

  /** Stops renewing shared holds. */
  close(): void {
    clearInterval(this.#renewal);
  }

  /**
   * How many names this instance keeps in memory: those in use, and guest
   * names held a while after their last connection (until swept).
   */
  get heldCount(): number {
    return this.#holders.size;
  }

  /**
   * Claims a guest name for the native protocol. With the token of an
   * earlier claim, the same name comes back (also after a restart, while the
   * stored hold lasts); otherwise the first free variant of `wanted`. A
   * token, once issued, stays the guest's identity even when its name varies.
   */
  async claimGuest(wanted: string, asked?: string): Promise<Identity> {
    checkName(wanted);
    // Only a token as issued names a guest; anything else gets a new one.
    const token = isGuestToken(asked) ? asked : undefined;
    if (token) {
      this.#taken(wanted); // Drops this instance's hold if it has lapsed.
      const h = this.#holders.get(nameKey(wanted));
      if (
        h && h.guest && h.token === token &&
        (h.live > 0 || await this.#claimShared(h.name, h.id))
      ) {
        if (h.live === 0) h.claimedAt = this.#o.now();
        h.live++;
        return { name: h.name, guest: true, token };
      }
      // Back on another instance: the shared hold still names this token.
      if (
        !h && this.#claims && !(await this.#o.isReserved(wanted)) &&
        await this.#claims.claim(
          wanted,
          guestHolder(token),
          this.#o.claimTtlMs,
        ) &&
        !this.#taken(wanted)
      ) {
        this.#hold(wanted, { token, guest: true, id: guestHolder(token) });
        return { name: wanted, guest: true, token };
      }
    }
    // The token is the guest's identity: it stays when the name must vary.
    const kept = token !== undefined;
    const fresh = kept ? token : newGuestToken();
    for (let n = 1; n < 1000; n++) {
      const name = n === 1 ? wanted : `${wanted.slice(0, 20)}-${n}`;
      if (this.#taken(name) || await this.#o.isReserved(name)) continue;
      if (!(await this.#claimShared(name, guestHolder(fresh)))) continue;
      if (this.#taken(name)) continue;
      this.#hold(name, { token: fresh, guest: true, id: guestHolder(fresh) });
      return {
        name,
        guest: true,
        token: fresh,
        ...(kept ? {} : { issued: true }),
      };
    }
    throw new NameError(`No free variant of the name ${wanted}`);
  }

  /** Claims exactly `name` for an original-protocol client, or refuses. */
  async claimExact(name: string): Promise<Identity> {
    checkName(name);
    if (this.#taken(name)) {
      throw new NameError(`Name taken: ${name} is connected already`);
    }
    if (await this.#o.isReserved(name)) {
      throw new NameError(`Name taken: ${name} is an account`);
    }
    const id = `exact:${crypto.randomUUID()}`;
    if (this.#taken(name) || !(await this.#claimShared(name, id))) {
      throw new NameError(`Name taken: ${name} is connected already`);
    }
    this.#hold(name, { token: null, guest: true, id });
    return { name, guest: true };
  }

  /**
   * Claims an account's own name; an account may have many connections. A
   * guest's hold on the name (possible only from before the account
   * existed) ends.
   */
  claimAccount(name: string): Identity {
    const h = this.#holders.get(nameKey(name));
    if (h && !h.guest) h.live++;
    else this.#hold(name, { token: null, guest: false, id: "account" });
    return { name, guest: false };
  }

  /** Whether a guest holds `name` now, here or on another instance. */
  async isHeld(name: string): Promise<boolean> {
    if (this.#taken(name)) return true;
    return (await this.#claims?.isHeld(name)) ?? false;
  }

  /** Releases one connection's hold on a name. */
  release(identity: Identity): void {
    const key = nameKey(identity.name);
    const h = this.#holders.get(key);
    // The hold may have passed to someone else (an account) meanwhile.
    if (!h || h.guest !== identity.guest) return;
    if (identity.guest && h.token !== (identity.token ?? null)) return;
    if (--h.live > 0) return;
    if (h.token) {
      h.releasedAt = this.#o.now();
      // Re-added, so the set stays in order of release.
      this.#released.delete(h);
      this.#released.add(h);
    } else this.#holders.delete(key);
    this.#sweep();
    if (h.guest) {
      this.#claims?.release(h.name, h.id, h.token ? this.#o.holdMs : 0)
        .catch((e) =>
          // The shared hold then lapses at its deadline instead.
          log.warn("releasing {name} failed: {error}", {
            name: h.name,
            error: String(e),
          })
        );
    }
  }

  /** Whether the shared claims (if any) let `holder` have `name`. */
  async #claimShared(name: string, holder: string): Promise<boolean> {
    if (!this.#claims) return true;
    try {
      return await this.#claims.claim(name, holder, this.#o.claimTtlMs);
    } catch (e) {
      log.warn("shared name claims unavailable: {error}", { error: String(e) });
      return true; // Fall back to this instance's view.
    }
  }

  /**
   * Pushes the deadline of every shared hold in use here that was claimed a
   * third of its lifetime ago or more: holds are renewed in the order they
   * were taken, never all at once, and each with at least half its
   * lifetime left. Lapsed holds are forgotten first, so an idle instance
   * doesn't keep them either.
   */
  #renew(): void {
    this.#sweep();
    const due = this.#o.now() - this.#o.claimTtlMs / 3;
    for (const h of this.#holders.values()) {
      if (!h.guest || h.live === 0 || h.claimedAt > due) continue;
      h.claimedAt = this.#o.now();
      // A failed renewal is retried next round; the deadline leaves room.
      this.#claims!.claim(h.name, h.id, this.#o.claimTtlMs).catch((e) =>
        log.warn("renewing {name} failed: {error}", {
          name: h.name,
          error: String(e),
        })
      );
    }
  }

  /**
   * Forgets the guest holds that have lapsed: no connection for the hold
   * time. Run on each release and each renewal round, so what a stream of
   * one-off names leaves behind is bounded by the hold time.
   */
  #sweep(): void {
    const lapsed = this.#o.now() - this.#o.holdMs;
    for (const h of this.#released) {
      // In order of release: the first still held ends the sweep.
      if (h.live === 0 && h.releasedAt > lapsed) break;
      this.#released.delete(h);
      const key = nameKey(h.name);
      if (h.live === 0 && this.#holders.get(key) === h) {
        this.#holders.delete(key);
      }
    }
  }

  #hold(
    name: string,
    h: { token: string | null; guest: boolean; id: string },
  ): void {
    this.#holders.set(nameKey(name), {
      ...h,
      name,
      live: 1,
      releasedAt: 0,
      claimedAt: this.#o.now(),
    });
  }

  #taken(name: string): boolean {
    const key = nameKey(name);
    const h = this.#holders.get(key);
    if (!h) return false;
    if (h.live > 0) return true;
    if (this.#o.now() - h.releasedAt < this.#o.holdMs) return true;
    this.#holders.delete(key);
    return false;
  }
}

/**
 * Throws a {@link NameError} unless `name` is a valid name that can't pass
 * for another's (its shape, its mix of scripts); whether it is taken is for
 * the claims.
 */
export function checkName(name: string): void {
  if (!USER_NAME.test(name)) throw new NameError(invalidName(name));
  const problem = nameProblem(name);
  if (problem) throw new NameError(problem);
}

function invalidName(name: string): string {
  return `Invalid name: ${
    JSON.stringify(name.slice(0, 40))
  } (1–24 letters, digits, _ . -)`;
}
