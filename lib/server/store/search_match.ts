/**
 * What both search backends share beyond the tokenizer: which messages are
 * searchable, how a query is read, how a stored message is checked against
 * it (the indexes find candidates; this decides) and where its highlights
 * are, and the order of results.
 *
 * @module
 */
import type { ChatMessage } from "@/lib/shared/protocol.ts";
import { type Run, runs } from "./search_tokens.ts";
import type { SearchCursor } from "./store.ts";

/** Index terms a query looks up at most; matching still checks every word. */
export const MAX_LOOKUP_TERMS = 8;

/** A query as read: its runs, and the index terms to look up. */
export interface ParsedQuery {
  /** Every run must be found in a message. */
  groups: Run[];
  /** The terms whose postings are intersected, rarest-looking first. */
  lookup: string[];
}

/**
 * Reads a query: words must appear as words, CJK runs as contiguous
 * characters. No groups means nothing to search for.
 */
export function parseQuery(query: string): ParsedQuery {
  const groups = runs(query);
  const terms = new Set<string>();
  for (const g of groups) {
    const u = g.units;
    if (!g.cjk || u.length === 1) terms.add(u[0].text);
    else {
      // Pairs that cover the run without overlapping are enough to find
      // candidates: matching checks that the characters stand together.
      for (let i = 0; i + 1 < u.length; i += 2) {
        terms.add(u[i].text + u[i + 1].text);
      }
      const n = u.length;
      if (n % 2 === 1) terms.add(u[n - 2].text + u[n - 1].text);
    }
  }
  // Longer terms tend to be rarer, and a rare term drives the lookup best.
  const lookup = [...terms].sort((a, b) => b.length - a.length)
    .slice(0, MAX_LOOKUP_TERMS);
  return { groups, lookup };
}

/** Whether a stored message is indexed: not deleted, not a membership event. */
export function searchable(message: ChatMessage): boolean {
  return !message.deleted && message.user !== "" && !message.event;
}

/**
 * The highlights of `query` in `text`, `[start, end)` offsets sorted and
 * merged, or null when some group of the query is missing.
 */
export function match(
  query: ParsedQuery,
  text: string,
): [number, number][] | null {
  if (query.groups.length === 0) return null;
  const found = runs(text);
  const spans: [number, number][] = [];
  for (const group of query.groups) {
    const before = spans.length;
    const want = group.units;
    for (const run of found) {
      if (run.cjk !== group.cjk) continue;
      const have = run.units;
      for (let i = 0; i + want.length <= have.length; i++) {
        let ok = true;
        for (let j = 0; j < want.length && ok; j++) {
          ok = have[i + j].text === want[j].text;
        }
        if (ok) spans.push([have[i].start, have[i + want.length - 1].end]);
      }
    }
    if (spans.length === before) return null;
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: [number, number][] = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else merged.push([s[0], s[1]]);
  }
  return merged;
}

/**
 * The order of results: newest first by time, then by room and id (both
 * descending), so a cursor names one place in it.
 */
export function compareNewestFirst(a: SearchCursor, b: SearchCursor): number {
  if (a.ts !== b.ts) return b.ts - a.ts;
  if (a.room !== b.room) return a.room < b.room ? 1 : -1;
  return b.id - a.id;
}

/** The place of `message` in the order of results. */
export function cursorOf(message: ChatMessage): SearchCursor {
  return { ts: message.ts, room: message.room, id: message.id };
}
