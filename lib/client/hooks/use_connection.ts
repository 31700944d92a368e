/**
 * The chat page's connection, as a hook: asks for a guest name when there is
 * none, connects once a name is known, resumes the first room after the
 * last message the server rendered, and keeps the browser's idea of being
 * online for the banner.
 *
 * @module
 */
import { type Signal, useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { ChatStore } from "@/lib/client/chat_store.ts";
import { ChatConnection } from "@/lib/client/connection.ts";

/** Where a guest's chosen name is kept between visits. */
export const NAME_KEY = "chat:name";
/** Rooms joined for unread counts; others are joined when opened. */
const WATCHED_ROOMS = 30;
/** Own guest messages remembered for edit and delete after a reload. */
const MINE_KEPT = 500;

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
  /** Asks the server for room `id`; the page opens it once created. */
  create(id: string): void;
  /** Connects as guest `name` (from the name dialog). */
  chooseName(name: string): void;
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

  useEffect(() => {
    const saved = account ?? localStorage.getItem(NAME_KEY);
    if (saved) name.value = saved;
    else askName.value = true;
    const tick = setInterval(() => now.value = Date.now(), 1000);
    // Coming online or back to the tab: reconnect now, not after the backoff.
    const retry = () => {
      online.value = navigator.onLine;
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

  const me = name.value;
  useEffect(() => {
    if (!me) return;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const mineKey = `chat:mine:${me}`;
    const c = new ChatConnection({
      url: `${proto}//${location.host}/ws`,
      name: me,
      storage: localStorage,
      onFrame: (f) => {
        store.apply(f);
        if (f.type === "welcome") {
          for (const r of f.rooms.slice(0, WATCHED_ROOMS)) c.join(r.id);
          const got = f.user.name;
          const seen = localStorage.getItem(`chat:renamed:${me}`);
          renamed.value = !account && got !== me && seen !== got
            ? { asked: me, got }
            : null;
          if (f.user.guest) store.remember(readMine(mineKey));
        } else if (f.type === "ack" && store.me.peek() && !account) {
          const kept = [...store.mine.peek()].slice(-MINE_KEPT);
          try {
            localStorage.setItem(mineKey, JSON.stringify(kept));
          } catch { /* Storage full: editing still works until a reload. */ }
        } else if (f.type === "error" && f.frame?.type === "create") {
          createError.value = f.message;
          creating.value = "";
        } else if (f.type === "room") {
          if (c.joined < WATCHED_ROOMS) c.join(f.room.id);
          if (f.room.id === creating.peek()) {
            creating.value = "";
            onCreated(f.room.id);
          }
        }
      },
      onRejected: (_code, reason) => {
        nameError.value = reason || "That name can't be used";
        localStorage.removeItem(NAME_KEY);
        askName.value = true;
      },
    });
    const last = store.room(room).items.peek().findLast((i) =>
      i.kind === "message"
    );
    // The server rendered everything up to `last` (or an empty room): resume after it.
    c.join(room, last?.kind === "message" ? last.id : 0);
    c.start();
    conn.value = c;
    return () => c.stop();
  }, [me]);

  return {
    conn,
    askName,
    nameError,
    createError,
    online,
    now,
    renamed,
    create(id) {
      createError.value = "";
      creating.value = id;
      if (!conn.peek()?.sendFrame({ type: "create", room: id })) {
        createError.value = "Not connected; try again in a moment";
      }
    },
    chooseName(wanted) {
      localStorage.setItem(NAME_KEY, wanted);
      nameError.value = "";
      askName.value = false;
      name.value = wanted;
    },
  };
}

/** The `room\0id` keys a guest kept in `key`, or none. */
function readMine(key: string): string[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(key) ?? "[]");
    return Array.isArray(v) ? v.filter((k) => typeof k === "string") : [];
  } catch {
    return [];
  }
}
