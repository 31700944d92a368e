/**
 * The chat page's connection, as a hook: asks for a guest name when there is
 * none, connects once a name is known, joins every room one is a member of
 * (the first after the last message the server rendered) so their counts
 * stay live, says which room is on screen, pages its members, tells the
 * server what was read, and keeps the browser's idea of being online for
 * the banner.
 *
 * @module
 */
import { type Signal, useSignal } from "@preact/signals";
import { useEffect, useMemo, useRef } from "preact/hooks";
import type { ChatStore } from "@/lib/client/chat_store.ts";
import { ChatConnection, isTransient } from "@/lib/client/connection.ts";
import { ReadMarker } from "@/lib/client/read_marker.ts";
import { setGuestToken } from "@/lib/client/history.ts";
import { LOGGED_OUT } from "@/lib/shared/close_reason.ts";

/** Where a guest's chosen name is kept between visits. */
export const NAME_KEY = "chat:name";
/** Own guest messages remembered for edit and delete after a reload. */
const MINE_KEPT = 500;
/** Members per page of the member list. */
const MEMBERS_PAGE = 50;
/** Frames whose errors are shown as the page's problem line. */
const ACTIONS = new Set([
  "dm",
  "edit",
  "delete",
  "kick",
  "invite",
  "remove",
  "join",
  "leave",
  "members",
  "react",
  "unreact",
  "pin",
  "unpin",
  "topic",
]);

/** A name the server gave instead of the one asked for. */
export interface Renamed {
  /** The name asked for. */
  asked: string;
  /** The name granted. */
  got: string;
}

/** What {@link useConnection} gives the page. */
export interface ConnectionHandle {
  /** The live connection, once a name is known. */
  conn: Signal<ChatConnection | null>;
  /** Whether the guest name dialog is wanted. */
  askName: Signal<boolean>;
  /** Why the last name was refused. */
  nameError: Signal<string>;
  /** Why the last room could not be created. */
  createError: Signal<string>;
  /** Whether the browser thinks it is online. */
  online: Signal<boolean>;
  /** The clock, ticking each second while a reconnect is counted down. */
  now: Signal<number>;
  /** The name asked for and the one granted, when the server changed it. */
  renamed: Signal<Renamed | null>;
  /** Why the last invite, removal, DM or join was refused. */
  problem: Signal<string>;
  /**
   * Shows `message` as the problem for something refused for want of a
   * connection; it goes once the connection is back.
   */
  offline(message: string): void;
  /** Whether the tab is shown. */
  visible: Signal<boolean>;
  /** Asks the server for room `id`; the page opens it once created. */
  create(id: string, isPrivate?: boolean): void;
  /** Opens the DM room with account `user`; the page opens it once there. */
  dm(user: string): void;
  /** Asks for the first page of `room`'s members, or the one after `cursor`. */
  members(room: string, cursor?: string): void;
  /** Notes that `room` was read up to `id`; the server hears of it shortly. */
  read(room: string, id: number): void;
  /** Connects as guest `name` (from the name dialog). */
  chooseName(name: string): void;
  /** Records message `id` of `room` as one's own (a file posted), kept like an ack's. */
  own(room: string, id: number): void;
}

/**
 * Connects `store` to the server as `account` (or a guest name kept in
 * `localStorage`, or one asked for), resuming `room` after what it holds.
 */
export function useConnection(
  store: ChatStore,
  room: string,
  account: string | null | undefined,
  onCreated: (room: string) => void,
): ConnectionHandle {
  const conn = useSignal<ChatConnection | null>(null);
  const name = useSignal("");
  const askName = useSignal(false);
  const nameError = useSignal("");
  const createError = useSignal("");
  const online = useSignal(true);
  const now = useSignal(Date.now());
  const renamed = useSignal<Renamed | null>(null);
  const creating = useSignal("");
  const dming = useSignal("");
  const problem = useSignal("");
  /** The problem shown for want of a connection, if it still shows. */
  const offlineProblem = useRef("");
  const offline = (message: string) => {
    problem.value = message;
    offlineProblem.current = message;
  };
  const visible = useSignal(true);
  /** The members page asked for and not yet answered, per room. */
  const membersAsked = useMemo(() => new Map<string, string>(), []);
  /** The first members pages asked for again soon, by room. */
  const refetch = useMemo(
    () => new Map<string, ReturnType<typeof setTimeout>>(),
    [],
  );
  const marker = useMemo(
    () => new ReadMarker((f) => conn.peek()?.sendFrame(f) ?? false),
    [],
  );
  const members = (room: string, cursor?: string) => {
    const key = cursor ?? "";
    if (membersAsked.get(room) === key) return;
    const c = conn.peek();
    if (!c?.sendFrame({ type: "members", room, cursor, limit: MEMBERS_PAGE })) {
      return;
    }
    membersAsked.set(room, key);
    store.membersAsked(room, cursor);
  };
  const openWhenThere = (id: string) => {
    creating.value = "";
    dming.value = "";
    onCreated(id);
  };

  useEffect(() => {
    const saved = account ?? localStorage.getItem(NAME_KEY);
    if (saved) name.value = saved;
    else askName.value = true;
    const tick = setInterval(() => now.value = Date.now(), 1000);
    // Coming online or back to the tab: reconnect now, not after the backoff.
    const retry = () => {
      online.value = navigator.onLine;
      visible.value = !document.hidden;
      // A hidden tab shows no room: presence and typing stop coming.
      if (document.hidden) marker.flush();
      conn.peek()?.view(document.hidden ? null : store.current.peek());
      if (online.value && !document.hidden) conn.peek()?.retryNow();
    };
    addEventListener("online", retry);
    addEventListener("offline", retry);
    addEventListener("focus", retry);
    document.addEventListener("visibilitychange", retry);
    return () => {
      clearInterval(tick);
      removeEventListener("online", retry);
      removeEventListener("offline", retry);
      removeEventListener("focus", retry);
      document.removeEventListener("visibilitychange", retry);
    };
  }, []);

  /**
   * Keeps a guest's own messages, for edit and delete after a reload, with
   * what the guest's other tabs kept meanwhile.
   */
  const keepMine = () => {
    if (!store.me.peek() || account) return;
    const key = mineKey(name.peek());
    const all = new Set([...readMine(key), ...store.mine.peek()]);
    try {
      localStorage.setItem(key, JSON.stringify([...all].slice(-MINE_KEPT)));
    } catch { /* Storage full: editing still works until a reload. */ }
  };

  const me = name.value;
  useEffect(() => {
    if (!me) return;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const c = new ChatConnection({
      url: `${proto}//${location.host}/ws`,
      name: me,
      storage: localStorage,
      onFrame: (f) => {
        store.apply(f);
        if (f.type === "welcome") {
          if (f.token) setGuestToken(f.token);
          // Connected again: "not connected" is no longer true.
          if (
            offlineProblem.current && problem.peek() === offlineProblem.current
          ) {
            problem.value = "";
          }
          offlineProblem.current = "";
          // Every own room, so its counts stay live; replayed after what
          // this page holds of it, or what `welcome` counted.
          for (const r of f.rooms) c.join(r.id, held(store, r.id) ?? r.lastId);
          membersAsked.clear();
          const here = store.current.peek();
          if (
            store.myRoom(here) ||
            store.room(here).items.peek().length > 0
          ) members(here);
          const got = f.user.name;
          const seen = localStorage.getItem(`chat:renamed:${me}`);
          renamed.value = !account && got !== me && seen !== got
            ? { asked: me, got }
            : null;
          if (f.user.guest) store.remember(readMine(mineKey(me)));
        } else if (f.type === "ack") {
          keepMine();
        } else if (f.type === "error" && f.frame?.type === "create") {
          createError.value = f.message;
          creating.value = "";
        } else if (
          f.type === "error" && ACTIONS.has(f.frame?.type ?? "") &&
          // The connection asks again for a join refused in passing.
          !(f.frame?.type === "join" && isTransient(f.code))
        ) {
          problem.value = f.message;
          dming.value = "";
          if (f.frame?.type === "members") {
            membersAsked.delete(f.frame.room ?? "");
          }
        } else if (f.type === "room") {
          c.join(f.room.id, held(store, f.room.id) ?? f.room.lastId);
          if (
            f.room.id === creating.peek() ||
            (f.room.kind === "dm" && f.room.name === dming.peek())
          ) openWhenThere(f.room.id);
        } else if (f.type === "joined") {
          // A read this page saw that the server has not heard of yet.
          const lastRead = store.myRoom(f.room)?.lastRead ?? 0;
          if (lastRead > f.lastRead) marker.mark(f.room, lastRead);
        } else if (
          f.type === "message" && f.event?.kind === "joined" &&
          f.event.users.includes(store.me.peek()) &&
          store.myRoom(f.room)?.lastRead === f.id - 1
        ) {
          // One's own join is no news to oneself (when nothing else waits).
          if (store.markRead(f.room, f.id)) marker.mark(f.room, f.id);
        } else if (f.type === "members") {
          membersAsked.delete(f.room);
        }
        if (
          ((f.type === "presence" && f.more) ||
            (f.type === "message" && f.event)) &&
          f.room === store.current.peek() && !refetch.has(f.room)
        ) {
          // More changed than a frame lists, or members came or went: the
          // first page again, after a pause that grows with the people
          // online (up to 30 s), so that in a big room the viewers' asks
          // spread out rather than all come at once.
          const spread = Math.min(
            30_000,
            250 + 3 * store.room(f.room).online.peek(),
          );
          refetch.set(
            f.room,
            setTimeout(() => {
              refetch.delete(f.room);
              if (f.room === store.current.peek()) members(f.room);
            }, Math.random() * spread),
          );
        }
      },
      onRejected: (_code, reason) => {
        // Logged out (here or everywhere): the page is signed in no more.
        if (reason === LOGGED_OUT) return location.reload();
        nameError.value = reason || "That name can't be used";
        localStorage.removeItem(NAME_KEY);
        askName.value = true;
      },
    });
    // The server rendered everything up to the last message shown (or an
    // empty room): a member resumes after it. Rooms one is not a member of
    // are not joined (that would make one a member), only viewed.
    c.join(room, held(store, room) ?? 0);
    c.view(document.hidden ? null : store.current.peek());
    c.start();
    conn.value = c;
    return () => {
      marker.stop();
      c.stop();
    };
  }, [me]);

  return {
    conn,
    askName,
    nameError,
    createError,
    online,
    now,
    renamed,
    problem,
    offline,
    visible,
    create(id, isPrivate) {
      createError.value = "";
      creating.value = id;
      const frame = isPrivate
        ? { type: "create" as const, room: id, private: true }
        : { type: "create" as const, room: id };
      if (!conn.peek()?.sendFrame(frame)) {
        createError.value = "Not connected; try again in a moment";
      }
    },
    dm(user) {
      problem.value = "";
      const there = store.rooms.peek().find((r) =>
        r.kind === "dm" && r.name === user
      );
      if (there) return onCreated(there.id);
      dming.value = user;
      if (!conn.peek()?.sendFrame({ type: "dm", user })) {
        offline("Not connected; try again in a moment");
      }
    },
    members,
    read(room, id) {
      if (store.markRead(room, id)) marker.mark(room, id);
    },
    own(room, id) {
      store.own(room, id);
      keepMine();
    },
    chooseName(wanted) {
      localStorage.setItem(NAME_KEY, wanted);
      nameError.value = "";
      askName.value = false;
      name.value = wanted;
    },
  };
}

/** The last message id the page holds of `room`, when it holds any. */
function held(store: ChatStore, room: string): number | undefined {
  const last = store.room(room).items.peek().findLast((i) =>
    i.kind === "message"
  );
  return last?.kind === "message" ? last.id : undefined;
}

/** Where guest `name`'s own messages are kept. */
const mineKey = (name: string) => `chat:mine:${name}`;

/** The `room\0id` keys a guest kept in `key`, or none. */
function readMine(key: string): string[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(key) ?? "[]");
    return Array.isArray(v) ? v.filter((k) => typeof k === "string") : [];
  } catch {
    return [];
  }
}
