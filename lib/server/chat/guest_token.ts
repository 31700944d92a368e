/**
 * Guest tokens and the store keys made from them.
 *
 * A token is issued as a version 7 UUID: its first 48 bits are the time it
 * was issued (in ms), the other 74 random. The key a guest is stored under
 * (membership, read state, name holds) is a digest of the token, so keys
 * never reveal a token; a version 7 token's key starts with its time, so
 * the guests who arrive together are stored side by side. Deno KV keeps its
 * keys in one SQLite B-tree: random keys dirty a page of it per write, which
 * made a 10,000-guest join storm's membership commits about three times
 * slower than time-ordered ones. Tokens issued before (version 4) keep the
 * keys they had.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** Two hex digits for each byte value. */
const HEX = Array.from(
  { length: 256 },
  (_, b) => b.toString(16).padStart(2, "0"),
);

/**
 * A new guest token: a version 7 UUID, time-ordered.
 *
 * @example
 * ```ts
 * newGuestToken(); // "0193a1b2-c3d4-7e5f-8a6b-1c2d3e4f5a6b"
 * ```
 */
export function newGuestToken(now: number = Date.now()): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let time = Math.floor(now);
  for (let i = 5; i >= 0; i--) {
    bytes[i] = time % 256;
    time = Math.floor(time / 256);
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x70; // version 7
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 9562 variant
  let hex = "";
  for (const b of bytes) hex += HEX[b];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${
    hex.slice(16, 20)
  }-${hex.slice(20)}`;
}

/** Whether a member key is a guest's (see {@link guestKey}), not an account's. */
export function isGuestKey(key: string): boolean {
  return key.startsWith("guest:");
}

/**
 * The key a guest with `token` is known by in the store and the shared
 * name holds: `guest:` and the token's SHA-256, after the issue time for a
 * time-ordered token.
 */
export function guestKey(token: string): string {
  const digest = createHash("sha256").update(token).digest("base64url");
  return token[14] === "7"
    ? `guest:${token.slice(0, 8)}${token.slice(9, 13)}.${digest}`
    : `guest:${digest}`;
}
