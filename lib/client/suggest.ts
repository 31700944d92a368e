/**
 * The composer's suggestions for a token at the caret: members of the room
 * (online first) and `@here` for `@`, the user's rooms and the public
 * directory for `#`, emoji shortcodes for `:`. Loaded on the first token
 * typed, not with the page; the emoji data loads on the first `:` token.
 * In a room with more members than the page holds, or with a directory
 * longer than its first page, the server is also asked (once typing
 * pauses) for the names starting with what was typed; its answer comes as
 * a second list, merged with the first.
 *
 * @module
 */
import type {
  DirectoryRoom,
  MemberEntry,
  MyRoom,
} from "@/lib/shared/protocol.ts";
import type { DirectoryPage } from "./directory.ts";
import type { Trigger } from "./completion.ts";
import { escapeRegExp } from "@/lib/shared/escape_regexp.ts";

/** One suggestion in the list. */
export interface Suggestion {
  /** Unique within the list. */
  key: string;
  /** What the option reads, e.g. `mina`, `#random`, `:smile:`. */
  label: string;
  /** What replaces the token when it is picked. */
  insert: string;
  /** A short note beside the label (status, topic, member count). */
  hint?: string;
  /** An emoji shown before the label. */
  icon?: string;
}

/** What suggestions are drawn from. */
export interface Sources {
  /** The open room. */
  room: string;
  /** The room's members as the page holds them (online first). */
  members: readonly MemberEntry[];
  /** The rooms the user is a member of (with their member counts). */
  rooms: readonly MyRoom[];
  /** The user's own name (never suggested). */
  me: string;
  /** How many members of the room are online. */
  online: number;
  /**
   * Fetches a page of the public directory: up to `limit` rooms after
   * `cursor`, those whose id starts with `prefix` when given.
   */
  directory: (
    cursor?: string,
    limit?: number,
    prefix?: string,
  ) => Promise<DirectoryPage | null>;
  /** Headers for the member search (a guest's token). */
  headers?: Record<string, string>;
}

/**
 * A name folded for comparison, as `fold` in lib/shared/names.ts does; not
 * imported, so this module, loaded later, shares no chunk with the page's
 * first script.
 */
function fold(name: string): string {
  return name.normalize("NFKC").toLowerCase();
}

/** Suggestions shown at most. */
export const MAX_SUGGESTIONS = 8;

/**
 * 0 when `name` starts with `q` (both folded), 1 when a word of it does
 * (after `_`, `-`, `.`), 2 when it holds `q` anywhere; -1 otherwise.
 */
function match(name: string, q: string): number {
  const n = fold(name);
  if (n.startsWith(q)) return 0;
  if (new RegExp(`[_.-]${escapeRegExp(q)}`, "u").test(n)) return 1;
  return n.includes(q) ? 2 : -1;
}

/** `items` that match `query`, best first, stable within a rank. */
function ranked<T>(
  items: readonly T[],
  query: string,
  name: (t: T) => string,
): T[] {
  const q = fold(query);
  const ranks: T[][] = [[], [], []];
  for (const t of items) {
    const r = match(name(t), q);
    if (r >= 0) ranks[r].push(t);
  }
  return ranks.flat();
}

const STATUS = { online: "online", away: "away", offline: "offline" };

/**
 * Members matching `query` (online ones first, as listed), then `@here`
 * when it matches; the user themself is left out.
 */
export function suggestMembers(sources: Sources, query: string): Suggestion[] {
  const people = ranked(
    sources.members.filter((m) => m.name !== sources.me),
    query,
    (m) => m.name,
  ).map((m): Suggestion => ({
    key: `@${m.name}`,
    label: m.name,
    insert: `@${m.name} `,
    hint: m.guest ? `${STATUS[m.status]}, guest` : STATUS[m.status],
  }));
  const here: Suggestion = {
    key: "@here",
    label: "here",
    insert: "@here ",
    hint: `notify the ${sources.online} online`,
  };
  if (!"here".startsWith(fold(query))) {
    return people.slice(0, MAX_SUGGESTIONS);
  }
  // Typed towards "here", it comes first; on a bare "@" it closes the list.
  return query
    ? [here, ...people].slice(0, MAX_SUGGESTIONS)
    : [...people.slice(0, MAX_SUGGESTIONS - 1), here];
}

/** The user's rooms (not DMs), then directory rooms, matching `query`. */
export function suggestRooms(
  rooms: readonly MyRoom[],
  directory: readonly DirectoryRoom[],
  query: string,
): Suggestion[] {
  const mine = rooms.filter((r) => r.kind !== "dm");
  const have = new Set(mine.map((r) => r.id));
  const all = [
    ...mine.map((r) => ({ id: r.id, topic: r.topic, note: "joined" })),
    // Each room once (a prefix's answer may repeat the first page's).
    ...directory.filter((r) => !have.has(r.id) && have.add(r.id)).map((r) => ({
      id: r.id,
      topic: r.topic,
      note: `${r.members} member${r.members === 1 ? "" : "s"}`,
    })),
  ];
  return ranked(all, query, (r) => r.id).slice(0, MAX_SUGGESTIONS).map((r) => ({
    key: `#${r.id}`,
    label: `#${r.id}`,
    insert: `#${r.id} `,
    hint: r.topic ?? r.note,
  }));
}

/** Rooms of the directory `#` loads first; more are found by prefix. */
export const DIRECTORY_ROOMS = 200;

/** How long typing pauses before the server is asked. */
export const ASK_AFTER_MS = 150;

/** How long an answer of the server is used again. */
const ANSWER_MS = 60_000;

let directory:
  | { at: number; page: Promise<DirectoryPage | null> }
  | undefined;

/** The directory's first page, asked at most once a minute. */
function directoryPage(sources: Sources): Promise<DirectoryPage | null> {
  if (!directory || Date.now() - directory.at > ANSWER_MS) {
    const page = sources.directory(undefined, DIRECTORY_ROOMS);
    directory = { at: Date.now(), page };
    // Offline: the next token asks again.
    page.then((p) => p ?? (directory = undefined));
  }
  return directory.page;
}

/** The server's answer for a prefix, and whether it held every match. */
interface Answer<T> {
  at: number;
  items: readonly T[];
  complete: boolean;
}

/** Answers by what was asked (`@room` or `#`) and the folded prefix. */
const answers = new Map<string, Answer<unknown>>();

/**
 * What the server answered for `prefix` (folded) of `what`, if it is known:
 * asked before, or a shorter prefix's answer held every match.
 */
function known<T>(
  what: string,
  prefix: string,
  name: (t: T) => string,
): readonly T[] | null {
  for (let n = prefix.length; n > 0; n--) {
    const a = answers.get(`${what}\0${prefix.slice(0, n)}`) as
      | Answer<T>
      | undefined;
    if (!a || Date.now() - a.at > ANSWER_MS) continue;
    if (n === prefix.length) return a.items;
    if (a.complete) {
      return a.items.filter((t) => fold(name(t)).startsWith(prefix));
    }
  }
  return null;
}

/** Asks the server with `ask` and keeps its answer (not a failure). */
async function asked<T>(
  what: string,
  prefix: string,
  ask: () => Promise<T[] | null>,
): Promise<readonly T[] | null> {
  const items = await ask();
  if (items === null) return null;
  if (answers.size >= 200) answers.clear();
  answers.set(`${what}\0${prefix}`, {
    at: Date.now(),
    items,
    complete: items.length < MAX_SUGGESTIONS,
  });
  return items;
}

let pause: ReturnType<typeof setTimeout> | undefined;

/** Runs `fn` once typing pauses; a later call takes its place. */
function afterPause(fn: () => void): void {
  clearTimeout(pause);
  pause = setTimeout(fn, ASK_AFTER_MS);
}

const isMember = (v: unknown): v is MemberEntry => {
  const m = v as Partial<MemberEntry> | null;
  return typeof m?.name === "string" && typeof m.guest === "boolean" &&
    (m.status === "online" || m.status === "away" || m.status === "offline");
};

/**
 * Members of `sources.room` whose names start with `prefix`, from
 * `GET /api/rooms/{room}/members`; null when the server can't answer.
 */
async function findMembers(
  sources: Sources,
  prefix: string,
): Promise<MemberEntry[] | null> {
  const params = new URLSearchParams({
    prefix,
    limit: String(MAX_SUGGESTIONS),
  });
  try {
    const res = await fetch(
      `/api/rooms/${encodeURIComponent(sources.room)}/members?${params}`,
      { headers: sources.headers },
    );
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    const users: unknown = (await res.json())?.users;
    return Array.isArray(users) ? users.filter(isMember) : null;
  } catch {
    return null; // Offline: the loaded members are all there is.
  }
}

/** `sources` with `more` members, each name once. */
function withMembers(
  sources: Sources,
  more: readonly MemberEntry[],
): Sources {
  const listed = new Set(sources.members.map((m) => m.name));
  return {
    ...sources,
    members: [...sources.members, ...more.filter((m) => !listed.has(m.name))],
  };
}

/**
 * The suggestions for `trigger`, at most {@link MAX_SUGGESTIONS}. When the
 * page holds only part of what could match (a big room's members, a long
 * directory), the server is asked too once typing pauses, and `more` gets
 * the list again with its answer merged in.
 */
export async function suggest(
  trigger: Trigger,
  sources: Sources,
  more?: (items: Suggestion[]) => void,
): Promise<Suggestion[]> {
  const q = fold(trigger.query);
  switch (trigger.kind) {
    case "@": {
      const local = suggestMembers(sources, trigger.query);
      const room = sources.rooms.find((r) => r.id === sources.room);
      if (!q || !room || room.members <= sources.members.length) return local;
      const what = `@${sources.room}`;
      const found = known<MemberEntry>(what, q, (m) => m.name);
      if (found) return suggestMembers(withMembers(sources, found), q);
      afterPause(async () => {
        const found = await asked(what, q, () => findMembers(sources, q));
        if (found) more?.(suggestMembers(withMembers(sources, found), q));
      });
      return local;
    }
    case "#": {
      const page = await directoryPage(sources);
      const first = page?.rooms ?? [];
      const local = suggestRooms(sources.rooms, first, q);
      if (!q || page?.next === undefined) return local;
      const found = known<DirectoryRoom>("#", q, (r) => r.id);
      if (found) return suggestRooms(sources.rooms, [...first, ...found], q);
      afterPause(async () => {
        const found = await asked(
          "#",
          q,
          async () =>
            (await sources.directory(undefined, MAX_SUGGESTIONS, q))?.rooms ??
              null,
        );
        if (found) more?.(suggestRooms(sources.rooms, [...first, ...found], q));
      });
      return local;
    }
    case ":": {
      const { searchEmoji } = await import("./emoji.ts");
      return searchEmoji(trigger.query, MAX_SUGGESTIONS).map((e) => {
        const name = e.names.find((n) => n.startsWith(trigger.query)) ??
          e.names[0];
        return {
          key: `:${name}`,
          label: `:${name}:`,
          insert: e.emoji,
          icon: e.emoji,
        };
      });
    }
  }
}
