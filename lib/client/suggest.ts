/**
 * The composer's suggestions for a token at the caret: members of the room
 * (online first) and `@here` for `@`, the user's rooms and the public
 * directory for `#`, emoji shortcodes for `:`. Loaded on the first token
 * typed, not with the page; the emoji data loads on the first `:` token.
 *
 * @module
 */
import type {
  DirectoryRoom,
  MemberEntry,
  MyRoom,
} from "@/lib/shared/protocol.ts";
import type { Trigger } from "./completion.ts";

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
  /** The room's members as the page holds them (online first). */
  members: readonly MemberEntry[];
  /** The rooms the user is a member of. */
  rooms: readonly MyRoom[];
  /** The user's own name (never suggested). */
  me: string;
  /** How many members of the room are online. */
  online: number;
  /** Fetches public rooms from the directory (asked at most once a minute). */
  directory: () => Promise<readonly DirectoryRoom[]>;
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
  if (new RegExp(`[_.-]${escape(q)}`, "u").test(n)) return 1;
  return n.includes(q) ? 2 : -1;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
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
    ...directory.filter((r) => !have.has(r.id)).map((r) => ({
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

let directory:
  | { at: number; rooms: Promise<readonly DirectoryRoom[]> }
  | undefined;

/** The directory's rooms from `sources`, asked at most once a minute. */
function directoryRooms(sources: Sources): Promise<readonly DirectoryRoom[]> {
  if (!directory || Date.now() - directory.at > 60_000) {
    directory = { at: Date.now(), rooms: sources.directory() };
  }
  return directory.rooms;
}

/** The suggestions for `trigger`, at most {@link MAX_SUGGESTIONS}. */
export async function suggest(
  trigger: Trigger,
  sources: Sources,
): Promise<Suggestion[]> {
  switch (trigger.kind) {
    case "@":
      return suggestMembers(sources, trigger.query);
    case "#":
      return suggestRooms(
        sources.rooms,
        await directoryRooms(sources),
        trigger.query,
      );
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
