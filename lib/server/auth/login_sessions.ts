/**
 * Login sessions in the store's session records (Deno KV or PostgreSQL).
 * The browser holds a random 256-bit id in the `sid` cookie; the store holds
 * only the id's SHA-256, so a copy of the database opens no session.
 * Sessions expire: a stored `expiresAt` is checked on every read, since
 * backends delete expired records only eventually.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { setCookie } from "@/lib/server/http/cookies.ts";
import type {
  SessionRecords,
  StoredSession,
} from "@/lib/server/store/store.ts";

/** The name of the session cookie. */
export const SESSION_COOKIE = "sid";
/** How long a session lasts unless the user logs out: 7 days. */
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** A live session. */
export interface Session {
  /** The secret id the cookie carries; never stored. */
  id: string;
  /** The account's name. */
  user: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** When it lapses, in milliseconds since the epoch. */
  expiresAt: number;
}

/** Options of {@link Sessions}. */
export interface SessionsOptions {
  /** How long a session lasts; {@link SESSION_TTL_MS} by default. */
  ttlMs?: number;
  /** The clock, in epoch milliseconds; `Date.now` by default. */
  now?: () => number;
}

const ID = /^[A-Za-z0-9_-]{43}$/;

/** The session registry. */
export class Sessions {
  readonly #records: SessionRecords;
  readonly #ttlMs: number;
  readonly #now: () => number;

  /** Creates the registry over the store's session records. */
  constructor(records: SessionRecords, options: SessionsOptions = {}) {
    this.#records = records;
    this.#ttlMs = options.ttlMs ?? SESSION_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  /** How long a new session lasts, in milliseconds. */
  get ttlMs(): number {
    return this.#ttlMs;
  }

  /**
   * Starts a session for `user` under a new id. The session the client
   * presented before, if any, ends in the same commit, so logging in
   * always rotates the id (no session fixation).
   */
  async create(user: string, replaces?: string): Promise<Session> {
    const now = this.#now();
    const id = randomId();
    const stored: StoredSession = {
      user,
      createdAt: now,
      expiresAt: now + this.#ttlMs,
    };
    await this.#records.put(
      sha256(id),
      stored,
      replaces && ID.test(replaces) ? sha256(replaces) : undefined,
    );
    return { id, ...stored };
  }

  /** The live session with this id, or null (unknown, malformed or expired). */
  async get(id: string | undefined): Promise<Session | null> {
    if (!id || !ID.test(id)) return null;
    const digest = sha256(id);
    const stored = await this.#records.get(digest);
    if (!stored) return null;
    if (stored.expiresAt <= this.#now()) {
      await this.#records.delete(digest);
      return null;
    }
    return { id, ...stored };
  }

  /** Ends a session; unknown ids are ignored. */
  async delete(id: string | undefined): Promise<void> {
    if (!id || !ID.test(id)) return;
    await this.#records.delete(sha256(id));
  }

  /**
   * Ends every session of `user` ("log out everywhere"), on every device
   * and instance; returns how many there were.
   */
  async deleteAll(user: string): Promise<number> {
    return await this.#records.deleteAll(user);
  }
}

/** The `Set-Cookie` value carrying a session's id. */
export function sessionCookie(session: Session, secure: boolean): string {
  return setCookie(SESSION_COOKIE, session.id, {
    secure,
    maxAge: (session.expiresAt - session.createdAt) / 1000,
  });
}

/** The `Set-Cookie` value that removes the session cookie. */
export function clearSessionCookie(secure: boolean): string {
  return setCookie(SESSION_COOKIE, "", { secure, maxAge: 0 });
}

/** 256 random bits in base64url: 43 characters. */
export function randomId(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** Bytes as unpadded base64url. */
export function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The SHA-256 of `text`, as unpadded base64url. */
export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("base64url");
}
