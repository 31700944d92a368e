/**
 * What the chat page shows, as signals: rooms with unread and mention
 * counts, each room's messages and notices, members, who is typing. Fed by
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
  PresenceUser,
  RoomInfo,
  ServerFrame,
} from "@/lib/shared/protocol.ts";
import { displayName } from "@/lib/shared/text.ts";
import { roomKey } from "@/lib/shared/names.ts";

/** A line in a room: a message or a join/leave notice. */
export type Item =
  | ({ kind: "message"; edited?: boolean; deleted?: boolean } & ChatMessage)
  | { kind: "notice"; key: string; text: string; ts: number };

/** At most this many items are kept per room, so the DOM stays small. */
export const MAX_ITEMS = 500;

/** The state of one room. */
export interface RoomState {
  /** Messages and notices, oldest first. */
  items: Signal<Item[]>;
  /** Who is in the room. */
  members: Signal<PresenceUser[]>;
  /** Names of members typing now. */
  typing: Signal<string[]>;
  /** Whether older history exists before the first item. */
  hasMore: Signal<boolean>;
  /** Whether the latest history page has been loaded. */
  loaded: boolean;
}

/** The chat page's state. */
export class ChatStore {
  /** This user's name; empty until `welcome` arrives. */
  readonly me: Signal<string> = signal<string>("");
  /** Rooms that exist. */
  readonly rooms: Signal<RoomInfo[]> = signal<RoomInfo[]>([]);
  /** Id of the room on screen. */
  readonly current: Signal<string> = signal<string>("");
  /** Unread messages per room. */
  readonly unread: Signal<Record<string, number>> = signal<
    Record<string, number>
  >({});
  /** Unread mentions of this user per room. */
  readonly mentions: Signal<Record<string, number>> = signal<
    Record<string, number>
  >({});
  /** Messages that arrived while the tab was hidden. */
  readonly hiddenUnread: Signal<number> = signal(0);
  /**
   * `room\0id` of messages this page sent and saw acknowledged: what a guest
   * may still edit or delete.
   */
  readonly mine: Signal<ReadonlySet<string>> = signal<ReadonlySet<string>>(
    new Set(),
  );
  /** The server's limit on a message's text in UTF-8 bytes, from `welcome`. */
  readonly maxTextBytes: Signal<number | null> = signal<number | null>(null);
  /** "user: text" of the latest message from another in the open room, for screen readers. */
  readonly announce: Signal<string> = signal("");
  /** The latest mention, for a notification. */
  readonly lastMention: Signal<ChatMessage | null> = signal<
    ChatMessage | null
  >(null);
  readonly #rooms = new Map<string, RoomState>();

  /** Adds `room\0id` keys of own messages kept from an earlier page. */
  remember(keys: readonly string[]): void {
    if (keys.length) this.mine.value = new Set([...keys, ...this.mine.value]);
  }

  /** The state of `room`, created on first use. */
  room(room: string): RoomState {
    let r = this.#rooms.get(room);
    if (!r) {
      r = {
        items: signal([]),
        members: signal([]),
        typing: signal([]),
        hasMore: signal(false),
        loaded: false,
      };
      this.#rooms.set(room, r);
    }
    return r;
  }

  /** The current room's state, as a computed signal. */
  readonly currentRoom: ReadonlySignal<RoomState> = computed(() =>
    this.room(this.current.value)
  );

  /** Switches rooms and clears the new room's unread counts. */
  open(room: string): void {
    batch(() => {
      this.current.value = room;
      this.#clear(room);
    });
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
      r.items.value = older ? merged : cap(merged);
      if (older || !r.loaded) r.hasMore.value = hasMore;
      r.loaded = true;
    });
  }

  /** Applies a frame from the server. */
  apply(frame: ServerFrame): void {
    switch (frame.type) {
      case "welcome":
        batch(() => {
          this.me.value = frame.user.name;
          this.rooms.value = frame.rooms;
          this.maxTextBytes.value = frame.limits.maxTextBytes;
        });
        break;
      case "room":
        if (!this.rooms.value.some((r) => r.id === frame.room.id)) {
          this.rooms.value = [...this.rooms.value, frame.room];
        }
        break;
      case "room_deleted":
        this.rooms.value = this.rooms.value.filter((r) => r.id !== frame.room);
        break;
      case "joined":
      case "presence":
        this.room(frame.room).members.value = frame.users;
        break;
      case "message":
        this.#message(frame);
        break;
      case "user_joined":
      case "user_left": {
        const members = this.room(frame.room).members;
        const guest = frame.type === "user_joined"
          ? frame.guest ?? true
          : members.value.find((u) => u.name === frame.user)?.guest ?? true;
        const others = members.value.filter((u) => u.name !== frame.user);
        members.value = frame.type === "user_left" ? others : [
          ...others,
          { name: frame.user, guest },
        ].sort((a, b) => a.name.localeCompare(b.name));
        this.#push(frame.room, {
          kind: "notice",
          key: `${frame.type}:${frame.user}:${Date.now()}`,
          text: `${displayName(frame.user, guest)} ${
            frame.type === "user_joined" ? "joined" : "left"
          }`,
          ts: Date.now(),
        });
        break;
      }
      case "typing": {
        const r = this.room(frame.room);
        const others = r.typing.value.filter((u) => u !== frame.user);
        r.typing.value = frame.typing ? [...others, frame.user] : others;
        break;
      }
      case "ack":
        this.mine.value = new Set(this.mine.value).add(
          roomKey(frame.room, frame.id),
        );
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
        this.#update(
          frame.room,
          frame.id,
          (m) => ({ ...m, text: "", deleted: true }),
        );
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
      r.items.value = cap(mergeById([...items, { kind: "message", ...m }]));
    } else {
      this.#push(m.room, { kind: "message", ...m });
    }
    // Typing ends with the message.
    if (r.typing.value.includes(m.user)) {
      r.typing.value = r.typing.value.filter((u) => u !== m.user);
    }
    if (m.user === this.me.value) return;
    if (m.room === this.current.value) {
      this.announce.value = `${m.user}: ${m.text}`;
    }
    const hidden = typeof document !== "undefined" && document.hidden;
    if (hidden) this.hiddenUnread.value++;
    const mentioned = this.me.value !== "" &&
      mentionsUser(m.text, this.me.value);
    if (mentioned) this.lastMention.value = m;
    if (m.room !== this.current.value) {
      this.unread.value = {
        ...this.unread.value,
        [m.room]: (this.unread.value[m.room] ?? 0) + 1,
      };
      if (mentioned) {
        this.mentions.value = {
          ...this.mentions.value,
          [m.room]: (this.mentions.value[m.room] ?? 0) + 1,
        };
      }
    }
  }

  #push(room: string, item: Item): void {
    const r = this.room(room);
    r.items.value = cap([...r.items.value, item]);
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

  #clear(room: string): void {
    if (this.unread.value[room]) {
      this.unread.value = { ...this.unread.value, [room]: 0 };
    }
    if (this.mentions.value[room]) {
      this.mentions.value = { ...this.mentions.value, [room]: 0 };
    }
  }
}

/** Whether `text` mentions `@name` as a whole word. */
export function mentionsUser(text: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
  return new RegExp(`(^|[^\\p{L}\\p{N}_])@${escaped}(?![\\p{L}\\p{N}_])`, "iu")
    .test(text);
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

function cap(items: Item[]): Item[] {
  return items.length > MAX_ITEMS
    ? items.slice(items.length - MAX_ITEMS)
    : items;
}
