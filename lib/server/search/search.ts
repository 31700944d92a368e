/**
 * Message search for a reader: which rooms they may search, the store's
 * index (`store.search`), and the answer of `GET /api/search`.
 *
 * Without a room, a search covers the rooms the reader is a member of
 * (joined public rooms, private rooms, DMs); with one, that room, if the
 * reader may read it (a public room anyone, a private room or DM its members
 * only). Someone without an identity (no session, no guest token) is a
 * member of nothing, so only a room of their choosing is searched.
 *
 * @module
 */
import type { SearchCursor, Store } from "@/lib/server/store/store.ts";
import type { SearchResponse, SearchResult } from "@/lib/shared/search.ts";

/** Why a search was refused; `status` is the HTTP status to answer. */
export class SearchError extends Error {
  /** Always `"SearchError"`. */
  override name = "SearchError";
  /** 400 for a bad request, 404 for a room that can't be read. */
  readonly status: 400 | 404;

  /** An error with its HTTP status. */
  constructor(status: 400 | 404, message: string) {
    super(message);
    this.status = status;
  }
}

/** A search as asked. */
export interface SearchRequest {
  /** The reader's member key (`authorKey`), if they have one. */
  reader?: string;
  /** The query as typed. */
  q: string;
  /** One room to search instead of all the reader's rooms. */
  room?: string;
  /** A previous page's `next`. */
  before?: string;
  /** Results per page. */
  limit: number;
}

const CURSOR = /^(\d{1,16})\.(\d{1,16})\.(.{1,64})$/s;

/** A cursor as `next` gives it: `ts.id.room`. */
export function formatCursor(c: SearchCursor): string {
  return `${c.ts}.${c.id}.${c.room}`;
}

/** Reads a `before` cursor; null when it isn't one. */
export function parseCursor(text: string): SearchCursor | null {
  const m = CURSOR.exec(text);
  if (!m) return null;
  const ts = Number(m[1]);
  const id = Number(m[2]);
  if (!Number.isSafeInteger(ts) || !Number.isSafeInteger(id)) return null;
  return { ts, id, room: m[3] };
}

/** What a search needs of the chat service. */
export interface SearchDeps {
  /** The store, with its index and membership. */
  store: Store;
  /**
   * Whether the member `key` may read `room` (false when there is no such
   * room): `Chat.mayRead`.
   */
  mayRead(room: string, key: string | undefined): Promise<boolean>;
}

/**
 * Searches the rooms `request.reader` may read; a room they may not read
 * is answered as if it did not exist (404), as the history API does.
 */
export async function search(
  deps: SearchDeps,
  request: SearchRequest,
): Promise<SearchResponse> {
  const { store } = deps;
  let before: SearchCursor | undefined;
  if (request.before !== undefined) {
    const c = parseCursor(request.before);
    if (!c) {
      throw new SearchError(400, "Invalid before: expected a page's next");
    }
    before = c;
  }
  let rooms: string[];
  if (request.room !== undefined) {
    if (!(await deps.mayRead(request.room, request.reader))) {
      throw new SearchError(404, `No such room: ${request.room}`);
    }
    rooms = [request.room];
  } else {
    rooms = request.reader ? await store.members.roomsOf(request.reader) : [];
  }
  const page = await store.search.query({
    rooms,
    query: request.q,
    limit: request.limit,
    before,
  });
  const results = page.hits.map(({ message: m, highlights }): SearchResult => ({
    room: m.room,
    id: m.id,
    user: m.user,
    ...(m.guest ? { guest: true } : {}),
    ts: m.ts,
    text: m.text,
    ...(m.edited ? { edited: true } : {}),
    ...(m.parent !== undefined && !m.alsoInRoom ? { thread: m.parent } : {}),
    highlights,
  }));
  return page.next ? { results, next: formatCursor(page.next) } : { results };
}
