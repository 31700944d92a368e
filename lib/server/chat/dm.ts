/**
 * Direct-message rooms: one per pair of accounts, its id derived from the
 * two member keys so both sides (on any instance) find the same room.
 *
 * @module
 */
import { createHash } from "node:crypto";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/** What every DM room's id starts with; no other room's may. */
export const DM_PREFIX = "dm-";

/**
 * The id of the DM room of two member keys: `dm-` and 24 characters of the
 * base32 (lower case) of the SHA-256 of the two keys, sorted. The same for
 * either order.
 *
 * @example
 * ```ts
 * dmRoomId("account:ana", "account:bo") === dmRoomId("account:bo", "account:ana");
 * ```
 */
export function dmRoomId(a: string, b: string): string {
  const [x, y] = [a, b].sort();
  const digest = createHash("sha256").update(`${x}\n${y}`).digest();
  return `${DM_PREFIX}${base32(digest).slice(0, 24)}`;
}

/** RFC 4648 base32, lower case, without padding. */
function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}
