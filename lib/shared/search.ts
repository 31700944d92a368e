/**
 * The search API's answer, `GET /api/search` (see docs/protocol.md), shared
 * by the server and the browser.
 *
 * @module
 */

/** Longest query, in characters. */
export const MAX_QUERY_CHARS = 200;
/** Most results per page, and the default. */
export const MAX_SEARCH_LIMIT = 50;
/** Results per page unless `limit` says otherwise. */
export const DEFAULT_SEARCH_LIMIT = 20;

/** One message found. */
export interface SearchResult {
  /** Its room. */
  room: string;
  /** Its id in the room (for loading the history around it). */
  id: number;
  /** The sender's display name. */
  user: string;
  /** Set when a guest wrote it (guest names pass from person to person). */
  guest?: boolean;
  /** Milliseconds since the epoch. */
  ts: number;
  /** The text as stored now. */
  text: string;
  /** Set when it has been edited. */
  edited?: boolean;
  /** For a reply shown only in its thread: the thread's first message. */
  thread?: number;
  /**
   * Where the query matched: `[start, end)` offsets into `text` in UTF-16
   * code units (JavaScript string indices), sorted, not overlapping.
   */
  highlights: [number, number][];
}

/** A page of results, newest first. */
export interface SearchResponse {
  /** The results, newest first. */
  results: SearchResult[];
  /** Pass as `before` for the next page; absent on the last page. */
  next?: string;
}
