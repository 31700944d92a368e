/**
 * What a reaction may be, shared by server and browser: exactly one emoji
 * as Unicode lists it (RGI: flags, keycaps, skin tones and ZWJ families
 * included), and how many kinds one message may carry.
 *
 * @module
 */

/** Most different emoji on one message; a new kind beyond is refused. */
export const MAX_REACTIONS = 20;

/** How many of the people who reacted with one emoji are named, earliest first. */
export const REACTION_NAMES = 10;

/** Most messages one `reactions` request may ask about. */
export const MAX_REACTION_IDS = 200;

/** Most pinned messages per room. */
export const MAX_PINS = 50;

/** Longest room topic, in characters (UTF-16 code units). */
export const MAX_TOPIC_LENGTH = 200;

const ONE_EMOJI = /^\p{RGI_Emoji}$/v;

/**
 * Whether `text` is exactly one emoji.
 *
 * @example
 * ```ts
 * isEmoji("👍"); // true
 * isEmoji("👍👍"); // false
 * isEmoji("a"); // false
 * ```
 */
export function isEmoji(text: string): boolean {
  return text.length <= 32 && ONE_EMOJI.test(text);
}
