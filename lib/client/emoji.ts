/**
 * Emoji data for the composer's `:shortcode` completion and the emoji
 * picker, from the `gemoji` package (GitHub's names: `:smile:`, `:+1:`).
 * Large, so only ever loaded by a dynamic import: the room page's first
 * script never holds it.
 *
 * @module
 */
import { gemoji } from "gemoji";

/** One emoji. */
export interface Emoji {
  /** The emoji itself, e.g. `😄`. */
  emoji: string;
  /** Its shortcodes without colons, the usual one first. */
  names: readonly string[];
  /** Further words it is found by. */
  tags: readonly string[];
  /** What it shows, e.g. `grinning face with smiling eyes`. */
  description: string;
  /** Its Unicode group, e.g. `Smileys & Emotion`. */
  category: string;
}

/** Every emoji, in Unicode's order. */
export const EMOJI: readonly Emoji[] = gemoji;

/** The emoji grouped by category, in Unicode's order. */
export const CATEGORIES: readonly { name: string; emoji: readonly Emoji[] }[] =
  (() => {
    const groups = new Map<string, Emoji[]>();
    for (const e of EMOJI) {
      const list = groups.get(e.category) ?? [];
      if (list.length === 0) groups.set(e.category, list);
      list.push(e);
    }
    return [...groups].map(([name, emoji]) => ({ name, emoji }));
  })();

/**
 * How well `e` matches the lower-case `q`: 0 a shortcode is `q`, 1 one
 * starts with it, 2 a word of a shortcode does, 3 a tag or a word of the
 * description does; -1 not at all.
 */
function rank(e: Emoji, q: string): number {
  let best = -1;
  const better = (r: number) => (best = best < 0 ? r : Math.min(best, r));
  for (const n of e.names) {
    if (n === q) return 0;
    if (n.startsWith(q)) better(1);
    else if (n.includes(`_${q}`)) better(2);
  }
  if (best >= 0) return best;
  if (
    e.tags.some((t) => t.startsWith(q)) ||
    e.description.split(/[\s-]+/).some((w) => w.startsWith(q))
  ) return 3;
  return -1;
}

/**
 * The emoji matching `query` (a shortcode or a word, any case), best
 * first, at most `limit`: an exact shortcode, then shortcodes starting
 * with it, then shortcodes with a word starting with it, then tags and
 * descriptions; the shorter shortcode first among those starting with the
 * query, else Unicode's order.
 *
 * @example
 * ```ts
 * searchEmoji("smi", 3).map((e) => e.names[0]); // ["smile", "smirk", "smiley"]
 * ```
 */
export function searchEmoji(query: string, limit = Infinity): Emoji[] {
  const q = query.trim().toLowerCase().replace(/^:|:$/g, "");
  if (!q) return EMOJI.slice(0, limit);
  const ranked: Emoji[][] = [[], [], [], []];
  for (const e of EMOJI) {
    const r = rank(e, q);
    if (r >= 0) ranked[r].push(e);
  }
  // Among shortcodes starting with the query, the shortest reads closest.
  const shortest = (e: Emoji) =>
    Math.min(...e.names.filter((n) => n.startsWith(q)).map((n) => n.length));
  ranked[1].sort((a, b) => shortest(a) - shortest(b));
  return ranked.flat().slice(0, limit);
}

/** The emoji whose shortcode is exactly `name`, if any. */
export function emojiNamed(name: string): Emoji | undefined {
  return EMOJI.find((e) => e.names.includes(name));
}
