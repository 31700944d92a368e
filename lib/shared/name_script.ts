/**
 * Rules against names that pass for someone else's (UTS #39 in spirit), or
 * for the server's own notices (see `SYSTEM_NAME`):
 * a name holds letters of one script (Japanese may mix Han, Hiragana and
 * Katakana; Korean Han and Hangul; Chinese Han and Bopomofo), plus digits and
 * `_ . -`, and no default-ignorable or filler characters (U+3164, U+115F,
 * zero-width joiners, …). Shared by server and browser; it needs only
 * `names.ts`.
 *
 * @module
 */

import { fold, SYSTEM_NAME } from "./names.ts";

/** Scripts a name's letters may be written in, most common first. */
const SCRIPTS = [
  "Latin",
  "Cyrillic",
  "Greek",
  "Han",
  "Hiragana",
  "Katakana",
  "Hangul",
  "Arabic",
  "Hebrew",
  "Devanagari",
  "Thai",
  "Armenian",
  "Georgian",
  "Bengali",
  "Tamil",
  "Telugu",
  "Kannada",
  "Malayalam",
  "Gujarati",
  "Gurmukhi",
  "Oriya",
  "Sinhala",
  "Lao",
  "Khmer",
  "Myanmar",
  "Tibetan",
  "Ethiopic",
  "Bopomofo",
  "Mongolian",
  "Syriac",
  "Thaana",
  "Cherokee",
  "Canadian_Aboriginal",
  "Yi",
  "Tifinagh",
  "Nko",
  "Javanese",
  "Balinese",
  "Sundanese",
  "Vai",
  "Ol_Chiki",
  "Adlam",
  "Runic",
  "Ogham",
  "Coptic",
  "Glagolitic",
  "Gothic",
].map((s) => ({ name: s, re: new RegExp(`^\\p{Script=${s}}$`, "u") }));

/** Scripts written together: UTS #39's Jpan, Kore and Hanb. */
const TOGETHER: Record<string, string[]> = {
  Han: ["Han", "Jpan", "Kore", "Hanb"],
  Hiragana: ["Jpan"],
  Katakana: ["Jpan"],
  Hangul: ["Kore"],
  Bopomofo: ["Hanb"],
};

const SYSTEM = fold(SYSTEM_NAME);
const NEUTRAL = /^[\p{Script=Common}\p{Script=Inherited}]$/u;
const HIDDEN = /[\p{Default_Ignorable_Code_Point}\u2800]/u;

/** The scripts one letter counts for, or null when it counts for any. */
function scriptsOf(c: string): string[] | null {
  if (c <= "\u007f" || NEUTRAL.test(c)) {
    return /^[A-Za-z]$/.test(c) ? ["Latin"] : null;
  }
  for (const s of SCRIPTS) {
    if (s.re.test(c)) return TOGETHER[s.name] ?? [s.name];
  }
  // A script not listed: it mixes with no listed one.
  return ["Other"];
}

/**
 * Why `name` could pass for another, or null when it can't by these rules.
 *
 * @example
 * ```ts
 * namePolicyProblem("dаve"); // Latin with a Cyrillic "а": refused
 * namePolicyProblem("\u3164"); // a Hangul filler: refused
 * namePolicyProblem("田中さん"); // null
 * ```
 */
export function namePolicyProblem(name: string): string | null {
  // Nor may digits and _ . - make a name of it ("시스템-2", "시스템.").
  if (fold(name).replace(/[\p{N}_.\-]/gu, "") === SYSTEM) {
    return `Invalid name: ${SYSTEM_NAME} is the name the server's notices go by`;
  }
  if (HIDDEN.test(name)) {
    return "Invalid name: it holds invisible or filler characters";
  }
  let common: string[] | null = null;
  for (const c of name) {
    const scripts = scriptsOf(c);
    if (scripts === null) continue;
    common = common === null
      ? scripts
      : common.filter((s) => scripts.includes(s));
    if (common.length === 0) {
      return "Invalid name: it mixes scripts (use one script, plus digits and _ . -)";
    }
  }
  return null;
}
