/**
 * Message search from the browser, `GET /api/search` (see docs/protocol.md):
 * a guest's search covers its private rooms by its token, as history does.
 *
 * @module
 */
import type { SearchResponse, SearchResult } from "@/lib/shared/search.ts";
import { guestHeaders } from "./history.ts";
import { parseText, plainText } from "./format.ts";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const isSpan = (v: unknown): v is [number, number] =>
  Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) &&
  Number.isSafeInteger(v[1]);

function isResult(v: unknown): v is SearchResult {
  return isObject(v) && typeof v.room === "string" &&
    Number.isSafeInteger(v.id) && typeof v.user === "string" &&
    typeof v.ts === "number" && typeof v.text === "string" &&
    Array.isArray(v.highlights) && v.highlights.every(isSpan);
}

/** A page of results, or `null` when `v` isn't one. */
export function asSearchResponse(v: unknown): SearchResponse | null {
  if (!isObject(v) || !Array.isArray(v.results)) return null;
  if (!v.results.every(isResult)) return null;
  return typeof v.next === "string"
    ? { results: v.results, next: v.next }
    : { results: v.results };
}

/** What a search gave: a page, or a message to show. */
export type SearchOutcome = SearchResponse | { error: string };

/** Searches the reader's rooms for `q`, after the page cursor `before`. */
export async function searchMessages(
  q: string,
  before?: string,
): Promise<SearchOutcome> {
  const params = new URLSearchParams({ q });
  if (before) params.set("before", before);
  try {
    const res = await fetch(`/api/search?${params}`, {
      headers: guestHeaders(),
    });
    const body: unknown = await res.json();
    if (!res.ok) {
      const message = isObject(body) && isObject(body.error) &&
          typeof body.error.message === "string"
        ? body.error.message
        : `Search failed (HTTP ${res.status})`;
      return { error: message };
    }
    return asSearchResponse(body) ??
      { error: "Search failed: an answer the page can't read" };
  } catch {
    return { error: "Search failed: the server can't be reached" };
  }
}

/** `text` cut into plain and highlighted parts, in order. */
export function highlighted(
  text: string,
  spans: [number, number][],
): { text: string; mark: boolean }[] {
  const out: { text: string; mark: boolean }[] = [];
  let at = 0;
  for (const [start, end] of spans) {
    if (start < at || end > text.length || start >= end) continue;
    if (start > at) out.push({ text: text.slice(at, start), mark: false });
    out.push({ text: text.slice(start, end), mark: true });
    at = end;
  }
  if (at < text.length) out.push({ text: text.slice(at), mark: false });
  return out;
}

/**
 * Word characters and the scripts written without spaces, as the server's
 * search reads them (`lib/server/store/search_tokens.ts`): a word is a run
 * of word characters outside those scripts; in them any run matches.
 */
const CJK = "\\p{scx=Han}\\p{scx=Hira}\\p{scx=Kana}\\p{scx=Hang}";
const WORD_CHAR = `[[\\p{L}\\p{N}\\p{M}\\p{Pc}]--[${CJK}]]`;
const UNSPACED = new RegExp(`[${CJK}]`, "v");

/**
 * A search hit as it reads, without its formatting marks (`**`, backticks,
 * `> `), cut into plain and highlighted parts: the words the server marked
 * in the text as typed are marked wherever they show in what it reads as.
 *
 * @example
 * ```ts
 * readableHighlights("say **hello**", [[6, 11]]);
 * // [{ text: "say ", mark: false }, { text: "hello", mark: true }]
 * ```
 */
export function readableHighlights(
  text: string,
  spans: [number, number][],
): { text: string; mark: boolean }[] {
  const plain = plainText(parseText(text));
  const words = [
    ...new Set(
      spans.filter(([a, b]) => a < b && b <= text.length)
        .map(([a, b]) => text.slice(a, b).trim()),
    ),
  ].filter((w) => w !== "");
  const found: [number, number][] = [];
  for (const w of words) {
    // Whole words, as the server matches them, except in scripts written
    // without spaces (found inside longer runs); case-insensitively on the
    // text itself, so the offsets are the text's.
    const escaped = w.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    const pattern = UNSPACED.test(w)
      ? escaped
      : `(?<!${WORD_CHAR})${escaped}(?!${WORD_CHAR})`;
    for (const m of plain.matchAll(new RegExp(pattern, "giv"))) {
      found.push([m.index, m.index + m[0].length]);
    }
  }
  // Leftmost first, the longer of two starting together; overlaps dropped.
  found.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const kept: [number, number][] = [];
  for (const f of found) {
    if (kept.length === 0 || f[0] >= kept[kept.length - 1][1]) kept.push(f);
  }
  return highlighted(plain, kept);
}
