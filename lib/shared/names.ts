/**
 * The rules for room ids and user names, shared by server and browser
 * (no dependencies, so the browser bundle stays small).
 *
 * @module
 */

/** Room ids: 1–32 of `a-z`, `0-9`, `_`, `-`, starting with a letter or digit. */
export const ROOM_ID = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/**
 * Display names: 1–24 letters, digits, `_`, `-` or `.` in any script. A
 * letter may carry up to three combining marks, as Devanagari, Thai, Tamil
 * or Bengali need (and a decomposed "é"); marks on nothing, or piled higher,
 * are refused.
 */
export const USER_NAME = /^(?:\p{L}\p{M}{0,3}|[\p{N}_.-]){1,24}$/u;

/**
 * The sender of the original endpoints' system notices (joins, leaves,
 * refusals): nobody may take the name, or their messages would pass for
 * the server's to those clients.
 */
export const SYSTEM_NAME = "시스템";

/**
 * The form in which names are compared: "Ann", "ANN" and "ａｎｎ" (full
 * width) are one name. Used wherever a name is looked up or held.
 *
 * @example
 * ```ts
 * fold("Ａnn") === fold("ann"); // true
 * ```
 */
export function fold(name: string): string {
  return name.normalize("NFKC").toLowerCase();
}

/**
 * A map key for something within a room, `room\0part\0…`: a room's bans,
 * typing timers, message ids. NUL occurs in no room id or name, so keys of
 * different things never collide.
 *
 * @example
 * ```ts
 * roomKey("general", "mina"); // "general\u0000mina"
 * ```
 */
export function roomKey(room: string, ...parts: (string | number)[]): string {
  // Built by hand: this runs for every message delivered.
  let key = room;
  for (const part of parts) key += "\u0000" + part;
  return key;
}
