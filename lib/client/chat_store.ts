/**
 * What the chat page shows, as signals: the rooms one is a member of with
 * the server's unread and mention counts, each room's messages, members
 * with presence, who is typing, and where the unread messages begin. Fed by
 * server frames and history pages; knows nothing of the DOM.
 *
 * @module
 */
import {
  batch,
  computed,
  type ReadonlySignal,
  type Signal,
  signal,
} from "@preact/signals";
import type {
  ChatMessage,
  MemberEntry,
  MyRoom,
  ServerFrame,
} from "@/lib/shared/protocol.ts";
import { roomKey } from "@/lib/shared/names.ts";
import { mentionsName } from "@/lib/shared/mentions.ts";
import { mergeMembers, withPresence } from "./members.ts";
import {
  inTimeline,
  takesPart,
  ThreadState,
  withoutReply,
  withReply,
} from "./thread_state.ts";
import { ReactionStore } from "./reactions.ts";
import { parseText, plainText } from "./format.ts";

/** A line in a room: a message (or stored membership event) or a notice. */
export type Item =
  | ({ kind: "message"; edited?: boolean; deleted?: boolean } & ChatMessage)
  | { kind: "notice"; key: string; text: string; ts: number };

/** At most this many items are kept per room, so the DOM stays small. */
export const MAX_ITEMS = 500;

/** At most this many while the reader reads back (see `RoomState.readingBack`). */
export const MAX_ITEMS_READING = 5000;

/**
 * How long a typing notice shows without being renewed, until `welcome`
 * says the server's (`limits.typingTtlMs`): the server's default
 * `TYPING_TTL_MS`. The server's "stopped" goes only to pages showing the
 * room then, so the page expires notices too.
 */
export const TYPING_TTL_MS = 5000;

/** The state of one room. */
export interface RoomState {
  /** Messages and notices, oldest first. */
  items: Signal<Item[]>;
  /** Members with presence: online first, then away, then offline. */
  members: Signal<MemberEntry[]>;
  /** The cursor of the next page of members; absent when all are here. */
  membersNext: Signal<string | undefined>;
  /** How many members are online. */
  online: Signal<number>;
  /** How many members the room has. */
  total: Signal<number>;
  /** Names of members typing now. */
  typing: Signal<string[]>;
  /** Whether older history exists before the first item. */
  hasMore: Signal<boolean>;
  /** The "New" divider goes above the first message after this id. */
  newAfter: Signal<number | null>;
  /** Whether the latest history page has been loaded. */
  loaded: boolean;
  /**
   * Whether the reader is reading back (scrolled away from the newest
   * line): the oldest lines are then kept past {@link MAX_ITEMS}, up to
   * {@link MAX_ITEMS_READING}, so what they are reading stays.
   */
  readingBack: boolean;
}

/** The chat page's state. */
export class ChatStore {
  /** This user's name; empty until `welcome` arrives. */
  readonly me: Signal<string> = signal<string>("");
  /** The rooms this user is a member of, with their counts. */
  readonly rooms: Signal<MyRoom[]> = signal<MyRoom[]>([]);
  /** Id of the room on screen. */
  readonly current: Signal<string> = signal<string>("");
  /** Unread messages per room, from the server's counts kept live. */
  readonly unread: ReadonlySignal<Record<string, number>> = computed(() =>
    Object.fromEntries(this.rooms.value.map((r) => [r.id, r.unread]))
  );
  /** Unread mentions of this user per room. */
  readonly mentions: ReadonlySignal<Record<string, number>> = computed(() =>
    Object.fromEntries(this.rooms.value.map((r) => [r.id, r.mentions]))
  );
  /** Whether the room on screen is one this user is a member of. */
  readonly isMember: ReadonlySignal<boolean> = computed(() =>
    this.rooms.value.some((r) => r.id === this.current.value)
  );
  /** Messages that arrived while the tab was hidden. */
  readonly hiddenUnread: Signal<number> = signal(0);
  /** Private rooms one was removed from: nothing of them shows any more. */
  readonly removedFrom: Signal<ReadonlySet<string>> = signal(new Set());
  /**
   * `room\0id` of messages this page sent and saw acknowledged (files it
   * posted too): what a guest may still edit or delete.
   */
  readonly mine: Signal<ReadonlySet<string>> = signal<ReadonlySet<string>>(
    new Set(),
  );
  /** The server's limit on a message's text in UTF-8 bytes, from `welcome`. */
  readonly maxTextBytes: Signal<number | null> = signal<number | null>(null);
  /** "user: text" of the latest message from another in the open room, for screen readers. */
  readonly announce: Signal<string> = signal("");
  /** The latest mention or direct message to the reader, for a notification. */
  readonly lastMention: Signal<ChatMessage | null> = signal<
    ChatMessage | null
  >(null);
  /** The thread open in the side panel. */
  readonly threads: ThreadState = new ThreadState();
  /** Reactions per message and pins per room (see `reactions.ts`). */
  readonly reactions: ReactionStore = new ReactionStore();
  readonly #rooms = new Map<string, RoomState>();
  /** Per room, the cursor of the members page asked for (null: the first). */
  readonly #membersAsked = new Map<string, string | null>();
  /** Rooms whose member list has more than its first page loaded. */
  readonly #membersPaged = new Set<string>();
  /** Per room, the newest id when `joined` counted its members. */
  readonly #countedUpTo = new Map<string, number>();
  /** Whether the open room's divider waits for the first `welcome`. */
  #dividerPending = true;
  /** When each `room\0user` typing notice last came. */
  readonly #typingAt = new Map<string, number>();
  /** The one timer expiring typing notices, while any are shown. */
  #typingTimer?: ReturnType<typeof setTimeout>;
  /** How long a typing notice lasts, as the server said. */
  #typingTtl = TYPING_TTL_MS;

  /** Adds `room\0id` keys of own messages kept from an earlier page. */
  remember(keys: readonly string[]): void {
    if (keys.length) this.mine.value = new Set([...keys, ...this.mine.value]);
  }

  /** Records message `id` of `room` as sent from this page (see `mine`). */
  own(room: string, id: number): void {
    this.mine.value = new Set(this.mine.value).add(roomKey(room, id));
  }

  /** The state of `room`, created on first use. */
  room(room: string): RoomState {
    let r = this.#rooms.get(room);
    if (!r) {
      r = {
        items: signal([]),
        members: signal([]),
        membersNext: signal(undefined),
        online: signal(0),
        total: signal(0),
        typing: signal([]),
        hasMore: signal(false),
        newAfter: signal(null),
        loaded: false,
        readingBack: false,
      };
      this.#rooms.set(room, r);
    }
    return r;
  }

  /** The current room's state, as a computed signal. */
  readonly currentRoom: ReadonlySignal<RoomState> = computed(() =>
    this.room(this.current.value)
  );

  /** One of this user's rooms, or undefined when not a member. */
  myRoom(room: string): MyRoom | undefined {
    return this.rooms.peek().find((r) => r.id === room);
  }

  /**
   * Switches rooms; the "New" divider goes above the first message after
   * what was read when the room opens. Who was typing there is forgotten:
   * the server told only pages showing the room when they stopped.
   */
  open(room: string): void {
    batch(() => {
      this.current.value = room;
      this.room(room).typing.value = [];
      this.#placeDivider(room);
    });
  }

  /**
   * Marks everything up to `id` of `room` read here, at once; true when
   * that moved the room's read mark (so the server should hear of it).
   */
  markRead(room: string, id: number): boolean {
    const r = this.myRoom(room);
    if (!r || id <= r.lastRead) return false;
    const lastId = Math.max(r.lastId, id);
    // What is left unread can't be more than before (events aren't counted).
    const unread = Math.min(r.unread, lastId - id);
    this.#setRoom({
      ...r,
      lastId,
      lastRead: id,
      unread,
      mentions: unread === 0 ? 0 : r.mentions,
    });
    return true;
  }

  /** Notes that a page of members of `room` was asked for, after `cursor`. */
  membersAsked(room: string, cursor?: string): void {
    this.#membersAsked.set(room, cursor ?? null);
  }

  /**
   * Adds a page of history; `older` pages go before what is shown.
   * Messages already present are skipped.
   */
  addHistory(
    room: string,
    messages: ChatMessage[],
    hasMore: boolean,
    older: boolean,
  ): void {
    const r = this.room(room);
    const have = new Set(
      r.items.value.filter((i) => i.kind === "message").map((i) =>
        (i as ChatMessage).id
      ),
    );
    const fresh: Item[] = messages.filter((m) => !have.has(m.id)).map((m) => ({
      kind: "message",
      ...m,
    }));
    batch(() => {
      const merged = older
        ? [...fresh, ...r.items.value]
        : mergeById([...r.items.value, ...fresh]);
      r.items.value = older ? merged : cap(r, merged);
      if (older || !r.loaded) r.hasMore.value = hasMore;
      r.loaded = true;
    });
  }

  /** Applies a frame from the server. */
  apply(frame: ServerFrame): void {
    this.threads.apply(frame);
    this.reactions.apply(frame);
    switch (frame.type) {
      case "welcome":
        batch(() => {
          this.me.value = frame.user.name;
          // (Re)connected: stops said meanwhile were missed.
          for (const r of this.#rooms.values()) r.typing.value = [];
          this.rooms.value = sortRooms(frame.rooms);
          this.maxTextBytes.value = frame.limits.maxTextBytes;
          this.#typingTtl = frame.limits.typingTtlMs ?? TYPING_TTL_MS;
          if (this.#dividerPending) this.#placeDivider(this.current.peek());
        });
        break;
      case "room":
        this.#setRoom(frame.room);
        if (this.removedFrom.peek().has(frame.room.id)) {
          // Invited back.
          const rest = new Set(this.removedFrom.peek());
          rest.delete(frame.room.id);
          this.removedFrom.value = rest;
        }
        break;
      case "topic": {
        const r = this.myRoom(frame.room);
        if (r) this.#setRoom({ ...r, topic: frame.topic });
        break;
      }
      case "room_deleted":
      case "left":
        this.rooms.value = this.rooms.value.filter((r) => r.id !== frame.room);
        if (frame.type === "left" && frame.reason === "removed") {
          // Out of a private room: its history and members go from the page.
          const r = this.room(frame.room);
          batch(() => {
            // Read again from the start if an invite brings one back.
            r.loaded = false;
            r.items.value = [];
            r.members.value = [];
            r.online.value = r.total.value = 0;
            this.removedFrom.value = new Set(this.removedFrom.peek())
              .add(frame.room);
          });
        }
        if (frame.type === "left" && frame.reason === "kicked") {
          // One member fewer: oneself (the room's events stop coming).
          const r = this.room(frame.room);
          r.total.value = Math.max(r.online.value, r.total.value - 1, 0);
        }
        if (frame.type === "left" && frame.reason) {
          this.#push(frame.room, {
            kind: "notice",
            key: `left:${Date.now()}`,
            text: frame.reason === "deleted"
              ? "This room was deleted"
              : "A moderator removed you from this room",
            ts: Date.now(),
          });
        }
        break;
      case "joined": {
        const r = this.room(frame.room);
        batch(() => {
          r.online.value = frame.online;
          r.total.value = frame.members;
          this.#countedUpTo.set(frame.room, frame.lastId);
          // The first online members, until a page of members arrives.
          if (!this.#membersAsked.has(frame.room)) {
            r.members.value = frame.users.map((u) => ({
              ...u,
              status: "online",
            }));
          }
          const mine = this.myRoom(frame.room);
          if (mine) {
            const lastRead = Math.max(mine.lastRead, frame.lastRead);
            const lastId = Math.max(mine.lastId, frame.lastId);
            // Messages since the count (a replay follows, already counted
            // here), and never more than lie after the read mark.
            this.#setRoom({
              ...mine,
              lastRead,
              lastId,
              unread: Math.min(
                mine.unread + lastId - mine.lastId,
                lastId - lastRead,
              ),
            });
          }
        });
        break;
      }
      case "presence": {
        const r = this.room(frame.room);
        batch(() => {
          r.online.value = frame.online;
          // A new member may be online before its join event brings the count.
          r.total.value = Math.max(r.total.value, frame.online);
          r.members.value = withPresence(r.members.value, frame.changes);
          // Someone who left types here no more.
          for (const c of frame.changes) {
            if (c.left && r.typing.peek().includes(c.name)) {
              this.#typed(frame.room, c.name, false);
            }
          }
        });
        break;
      }
      case "members": {
        const r = this.room(frame.room);
        const asked = this.#membersAsked.get(frame.room);
        // The first page again (more changed than presence frames said)
        // while the reader has scrolled further: it takes the top of the
        // list, the pages below stay, and so does the place in them (but
        // for a first page that is the whole list).
        const refresh = !asked && frame.next !== undefined &&
          this.#membersPaged.has(frame.room);
        batch(() => {
          r.members.value = asked
            ? mergeMembers(r.members.value, frame.users)
            : refresh
            ? mergeMembers(frame.users, r.members.value)
            : frame.users;
          if (asked) this.#membersPaged.add(frame.room);
          else if (!refresh) this.#membersPaged.delete(frame.room);
          if (!refresh) r.membersNext.value = frame.next;
          r.online.value = frame.online;
          r.total.value = frame.total;
        });
        break;
      }
      case "read": {
        const mine = this.myRoom(frame.room);
        if (!mine || frame.lastRead < mine.lastRead) break;
        // Messages may have arrived here after the server counted.
        // The server's count leaves membership events out; messages that
        // came here after it counted are added.
        const counted = frame.lastId ?? frame.lastRead + frame.unread;
        const lastId = Math.max(mine.lastId, counted);
        this.#setRoom({
          ...mine,
          lastId,
          lastRead: frame.lastRead,
          unread: Math.min(
            frame.unread + lastId - counted,
            lastId - frame.lastRead,
          ),
          mentions: frame.mentions,
        });
        break;
      }
      case "message":
        this.#message(frame);
        break;
      case "typing":
        this.#typed(frame.room, frame.user, frame.typing);
        break;
      case "ack":
        batch(() => {
          this.own(frame.room, frame.id);
          // One's own message is read.
          this.markRead(frame.room, frame.id);
        });
        break;
      case "gap":
        this.#push(frame.room, {
          kind: "notice",
          key: `gap:${frame.since}:${frame.oldestId}`,
          text:
            `Messages before #${frame.oldestId} are no longer kept; some you missed are gone`,
          ts: Date.now(),
        });
        break;
      case "edited":
        this.#update(
          frame.room,
          frame.id,
          (m) => ({ ...m, text: frame.text, edited: true }),
        );
        break;
      case "deleted":
        batch(() => {
          this.#uncount(frame.room, frame.id);
          this.#update(
            frame.room,
            frame.id,
            (m) => ({ ...m, text: "", deleted: true }),
          );
          // A reply: its first message counts one fewer.
          const { parent, thread } = frame;
          if (parent !== undefined) {
            this.#update(frame.room, parent, (p) => withoutReply(p, thread));
          }
        });
        break;
    }
  }

  #message(m: ChatMessage): void {
    const r = this.room(m.room);
    const items = r.items.value;
    const last = items.findLast((i) => i.kind === "message") as
      | ChatMessage
      | undefined;
    if (last && last.id >= m.id) {
      if (items.some((i) => i.kind === "message" && i.id === m.id)) return;
      r.items.value = cap(r, mergeById([...items, { kind: "message", ...m }]));
    } else {
      this.#push(m.room, { kind: "message", ...m });
    }
    // Typing ends with the message.
    if (r.typing.value.includes(m.user)) this.#typed(m.room, m.user, false);
    // A reply moves its thread's summary; it mentions whoever takes part.
    const parent = m.parent === undefined
      ? undefined
      : items.find((i) => i.kind === "message" && i.id === m.parent) as
        | (Item & { kind: "message" })
        | undefined;
    if (parent) this.#update(m.room, parent.id, (p) => withReply(p, m));
    // A membership event newer than the count moves it.
    if (m.event && m.id > (this.#countedUpTo.get(m.room) ?? Infinity)) {
      const step = m.event.kind === "joined" ? m.event.count : -m.event.count;
      r.total.value = Math.max(r.total.value + step, r.online.value, 0);
    }
    const { own, mentioned, quiet } = this.#news(m, parent);
    this.#count(m.room, m.id, own, mentioned, quiet);
    if (own || m.event) return;
    // What the reader sees arrive: the room's timeline, or the open thread.
    const seen = inTimeline(m) || this.threads.open.peek()?.id === m.parent;
    if (m.room === this.current.value && seen && !m.deleted) {
      const said = `${m.user}: ${plainText(parseText(m.text))}`;
      // The same words again are news too: a live region must change.
      const before = this.announce.peek();
      this.announce.value = said === before ? `${said}\u00a0` : said;
    }
    const hidden = typeof document !== "undefined" && document.hidden;
    if (hidden && !quiet) this.hiddenUnread.value++;
    // A DM is addressed to the reader as a mention is.
    if (mentioned || this.myRoom(m.room)?.kind === "dm") {
      this.lastMention.value = m;
    }
  }

  /**
   * What a message (a reply to `parent`, if shown) is to this user: their
   * `own`, a mention of them, or `quiet` (no unread news).
   */
  #news(
    m: ChatMessage,
    parent: ChatMessage | undefined,
  ): { own: boolean; mentioned: boolean; quiet: boolean } {
    const own = m.user === this.me.value && !m.event;
    const mentioned = !own && !m.event && this.me.value !== "" &&
      (mentionsName(m.text, this.me.value) ||
        (parent !== undefined && takesPart(parent, this.me.value)));
    // A reply shown only in its thread is news to those taking part alone.
    const quiet = !!m.event ||
      (m.parent !== undefined && !m.alsoInRoom && !mentioned);
    return { own, mentioned, quiet };
  }

  /**
   * A message shown here was deleted: if it was counted unread (after the
   * read mark, news to this user), it counts no more, as on the server
   * (which tells the new counts itself when it mentioned this user).
   */
  #uncount(room: string, id: number): void {
    const r = this.myRoom(room);
    if (!r || id <= r.lastRead || id > r.lastId) return;
    const items = this.room(room).items.peek();
    const m = items.find((i) => i.kind === "message" && i.id === id) as
      | (Item & { kind: "message" })
      | undefined;
    if (!m || m.deleted) return;
    const parent = m.parent === undefined
      ? undefined
      : items.find((i) => i.kind === "message" && i.id === m.parent) as
        | (Item & { kind: "message" })
        | undefined;
    const { own, mentioned, quiet } = this.#news(m, parent);
    // A mention's counts come anew from the server (a `read` frame), which
    // may arrive first: counting it out here too would count it twice.
    if (own || quiet || mentioned) return;
    this.#setRoom({ ...r, unread: Math.max(0, r.unread - 1) });
  }

  /**
   * Counts a new message in one of this user's rooms; a `quiet` one (a
   * membership event, someone else's thread) is no unread news, as on
   * the server.
   */
  #count(
    room: string,
    id: number,
    own: boolean,
    mentioned: boolean,
    quiet: boolean,
  ): void {
    const r = this.myRoom(room);
    // Replays of what `welcome` or `joined` counted already change nothing.
    if (!r || id <= r.lastId) return;
    const lastRead = own ? id : r.lastRead;
    this.#setRoom({
      ...r,
      lastId: id,
      lastRead,
      unread: own ? 0 : r.unread + (quiet ? 0 : 1),
      mentions: own ? 0 : r.mentions + (mentioned ? 1 : 0),
    });
  }

  #typed(room: string, user: string, on: boolean): void {
    const r = this.room(room);
    const typing = r.typing.peek();
    const was = typing.includes(user);
    // A renewal changes nothing on screen: only its time is kept.
    if (on !== was) {
      r.typing.value = on
        ? [...typing, user]
        : typing.filter((u) => u !== user);
    }
    if (!on) return;
    this.#typingAt.set(roomKey(room, user), Date.now());
    this.#typingTimer ??= setTimeout(this.#expire, this.#typingTtl);
  }

  /** Drops typing notices older than the TTL; waits for the next one's. */
  #expire = (): void => {
    const now = Date.now();
    let next = Infinity;
    for (const [key, at] of this.#typingAt) {
      if (now - at < this.#typingTtl) next = Math.min(next, at);
      else {
        this.#typingAt.delete(key);
        const [room, user] = key.split("\0");
        this.#typed(room, user, false);
      }
    }
    this.#typingTimer = next < Infinity
      ? setTimeout(this.#expire, next + this.#typingTtl - now)
      : undefined;
  };

  #setRoom(room: MyRoom): void {
    const rooms = this.rooms.value;
    const at = rooms.findIndex((r) => r.id === room.id);
    this.rooms.value = at < 0
      ? sortRooms([...rooms, room])
      : rooms.map((r, i) => i === at ? room : r);
  }

  #placeDivider(room: string): void {
    const r = this.myRoom(room);
    if (!r) return;
    this.#dividerPending = false;
    this.room(room).newAfter.value = r.lastRead < r.lastId ? r.lastRead : null;
  }

  #push(room: string, item: Item): void {
    const r = this.room(room);
    r.items.value = cap(r, [...r.items.value, item]);
  }

  #update(
    room: string,
    id: number,
    change: (m: Item & { kind: "message" }) => Item,
  ): void {
    const r = this.room(room);
    r.items.value = r.items.value.map((i) =>
      i.kind === "message" && i.id === id ? change(i) : i
    );
  }
}

/** Rooms by name, DMs after the others (the sidebar's order). */
export function sortRooms(rooms: readonly MyRoom[]): MyRoom[] {
  return [...rooms].sort((a, b) =>
    Number(a.kind === "dm") - Number(b.kind === "dm") ||
    a.name.localeCompare(b.name)
  );
}

function mergeById(items: Item[]): Item[] {
  const messages = items.filter((i) =>
    i.kind === "message"
  ) as (Item & { kind: "message" })[];
  const seen = new Set<number>();
  const unique = messages.filter((m) => !seen.has(m.id) && seen.add(m.id));
  unique.sort((a, b) => a.id - b.id);
  // Notices keep their place after the message before them.
  const out: Item[] = [];
  let n = 0;
  for (const i of items) {
    if (i.kind === "notice") out.push(i);
    else if (n < unique.length) out.push(unique[n++]);
  }
  while (n < unique.length) out.push(unique[n++]);
  return out;
}

/**
 * The newest of `items` that room `r` keeps; dropping any, it notes that
 * older history is there to load again.
 */
function cap(r: RoomState, items: Item[]): Item[] {
  const max = r.readingBack ? MAX_ITEMS_READING : MAX_ITEMS;
  if (items.length <= max) return items;
  r.hasMore.value = true;
  return items.slice(items.length - max);
}
