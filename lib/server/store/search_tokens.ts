/**
 * The one tokenizer of message search, used for indexing (both backends),
 * for queries and for highlighting, so the three always agree.
 *
 * A text is cut into runs of letters, digits and marks. A run in a
 * space-separated script is one word, folded (NFKC, then case-folded). A run
 * of Korean, Japanese or Chinese (Hangul, kana, Han) has no reliable word
 * breaks, so it is indexed by each of its characters (graphemes) and each
 * pair of neighbouring characters: a query of two or more such characters
 * looks up its pairs, a query of one looks up the character itself, and
 * matching then checks that the query's characters stand together.
 *
 * Offsets are in UTF-16 code units of the original text, as JavaScript
 * strings count them.
 *
 * @module
 */

/** One unit of a run: a folded word, or one folded CJK character. */
export interface Unit {
  /** The folded form compared and indexed. */
  text: string;
  /** Where it starts in the original text. */
  start: number;
  /** Where it ends in the original text (exclusive). */
  end: number;
}

/** A run of a text: one word, or a stretch of CJK characters. */
export interface Run {
  /** True for Hangul, kana and Han: indexed by characters and pairs. */
  cjk: boolean;
  /** A word's single unit, or a CJK run's characters in order. */
  units: Unit[];
}

/** Longest indexed word, in UTF-16 code units; longer words are cut. */
export const MAX_TERM_LENGTH = 64;

const CJK = "\\p{scx=Han}\\p{scx=Hira}\\p{scx=Kana}\\p{scx=Hang}";
const WORD = "\\p{L}\\p{N}\\p{M}\\p{Pc}";
/**
 * A run of letters, digits and marks, split where CJK starts or stops: a
 * CJK stretch (group 1) or a word (group 2).
 */
const RUN = new RegExp(
  `([[${CJK}]&&[${WORD}]]+)|([[${WORD}]--[${CJK}]]+)`,
  "gv",
);
const SPACE = /\s+/gu;
const NON_ASCII = /\P{ASCII}/u;
const ASCII_WORD = /[a-z0-9_]+/g;
const graphemes = new Intl.Segmenter("und", { granularity: "grapheme" });
/** Characters that may join the one before (marks, jamo, voicing marks). */
const CLUSTERING =
  /[\p{M}\u200D\u1100-\u11FF\uA960-\uA97F\uD7B0-\uD7FF\uFF9E\uFF9F]/u;
/** A Hangul syllable, kana or common Han character: folding keeps it as is. */
const PLAIN = /^[\uAC00-\uD7A3\u3041-\u3096\u30A1-\u30FA\u4E00-\u9FFF]$/;

/**
 * The characters (graphemes) of a CJK stretch with their offsets; without
 * anything that clusters, each code point is one, found without the
 * (slower) segmenter.
 */
function* characters(text: string): Generator<[number, string]> {
  if (CLUSTERING.test(text)) {
    for (const g of graphemes.segment(text)) yield [g.index, g.segment];
    return;
  }
  let i = 0;
  for (const c of text) {
    yield [i, c];
    i += c.length;
  }
}

/**
 * The form in which search compares text: NFKC, then case-folded ("ß" and
 * "SS" both become "ss"), without the spaces a few compatibility characters
 * expand to, cut to {@link MAX_TERM_LENGTH}.
 */
export function foldTerm(text: string): string {
  let t = text.normalize("NFKC").toUpperCase().toLowerCase().replace(
    SPACE,
    "",
  );
  if (t.length > MAX_TERM_LENGTH) {
    t = t.slice(0, MAX_TERM_LENGTH);
    // Never end on half of a surrogate pair.
    if (/[\uD800-\uDBFF]$/.test(t)) t = t.slice(0, -1);
  }
  return t;
}

/**
 * Cuts `text` into runs, with offsets into `text`.
 *
 * @example
 * ```ts
 * runs("Hi 서울역").map((r) => r.units.map((u) => u.text));
 * // [["hi"], ["서", "울", "역"]]
 * ```
 */
export function runs(text: string): Run[] {
  const out: Run[] = [];
  for (const run of text.matchAll(RUN)) {
    const start = run.index;
    if (run[1] === undefined) {
      const folded = foldTerm(run[0]);
      if (folded) {
        out.push({
          cjk: false,
          units: [{ text: folded, start, end: start + run[0].length }],
        });
      }
      continue;
    }
    const units: Unit[] = [];
    for (const [index, segment] of characters(run[0])) {
      const folded = PLAIN.test(segment) ? segment : foldTerm(segment);
      if (!folded) continue;
      const s = start + index;
      units.push({ text: folded, start: s, end: s + segment.length });
    }
    if (units.length) out.push({ cjk: true, units });
  }
  return out;
}

/**
 * The terms a text is indexed under, each once: its words, and its CJK
 * characters and pairs of neighbouring characters.
 *
 * @example
 * ```ts
 * indexTerms("Hello 서울역"); // ["hello", "서", "서울", "울", "울역", "역"]
 * ```
 */
export function indexTerms(text: string): string[] {
  const terms = new Set<string>();
  if (!NON_ASCII.test(text)) {
    // The common case, without the Unicode machinery: in ASCII a word is
    // letters, digits and `_`, and folding it is lower-casing it.
    for (const word of text.toLowerCase().match(ASCII_WORD) ?? []) {
      terms.add(word.slice(0, MAX_TERM_LENGTH));
    }
    return [...terms];
  }
  for (const run of runs(text)) {
    const u = run.units;
    for (let i = 0; i < u.length; i++) {
      terms.add(u[i].text);
      if (run.cjk && i + 1 < u.length) terms.add(u[i].text + u[i + 1].text);
    }
  }
  return [...terms];
}
