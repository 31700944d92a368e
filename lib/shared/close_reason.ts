/**
 * WebSocket close reasons that fit their frame: RFC 6455 leaves a close
 * frame 125 bytes of payload, 2 of them the code, so a reason longer than
 * 123 UTF-8 bytes makes `close()` throw (in the `ws` library and in
 * browsers alike). Reasons that quote a client's input (a refused name)
 * can be that long in a few characters of Korean or emoji.
 *
 * @module
 */

/**
 * The close reason (with code 1008) of a connection whose login session
 * ended (logged out there, or everywhere): the page reloads.
 */
export const LOGGED_OUT = "Logged out";

/** The most UTF-8 bytes a close reason may take. */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * `reason` as it can be sent: unchanged when it fits, else cut at a whole
 * code point with "…" marking the cut, at most
 * {@link MAX_CLOSE_REASON_BYTES} bytes in all.
 *
 * @example
 * ```ts
 * closeReason("Name taken"); // "Name taken"
 * closeReason("가".repeat(50)); // 40 × "가" and "…": 123 bytes
 * ```
 */
export function closeReason(reason: string): string {
  if (encoder.encode(reason).length <= MAX_CLOSE_REASON_BYTES) return reason;
  const room = MAX_CLOSE_REASON_BYTES - 3; // "…" takes 3 bytes.
  let bytes = 0;
  let cut = 0;
  for (const ch of reason) {
    const cp = ch.codePointAt(0)!;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes > room) break;
    cut += ch.length;
  }
  return reason.slice(0, cut) + "…";
}

const encoder = new TextEncoder();
