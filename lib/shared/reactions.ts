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

/** Most messages one `reactions` request may ask about (a page holds 500). */
export const MAX_REACTION_IDS = 500;

/** Most pinned messages per room. */
export const MAX_PINS = 50;

/** Longest room topic, in characters (UTF-16 code units). */
export const MAX_TOPIC_LENGTH = 200;

/** Made on first use, so a bundle that never checks emoji leaves it out. */
let oneEmoji: RegExp | undefined;

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
  oneEmoji ??= /^\p{RGI_Emoji}$/v;
  return text.length <= 32 && oneEmoji.test(text);
}
