import type { VNode } from "preact";
import { useSignal, useSignalEffect } from "@preact/signals";
import { useEffect, useMemo, useRef } from "preact/hooks";
import { IS_BROWSER } from "fresh/runtime";
import { ChatStore } from "@/lib/client/chat_store.ts";
import { ChatConnection } from "@/lib/client/connection.ts";
import { fetchHistory } from "@/lib/client/history.ts";
import type { ChatMessage, RoomInfo } from "@/lib/shared/protocol.ts";
import { ConnectionBanner } from "@/components/ConnectionBanner.tsx";
import { Members } from "@/components/Members.tsx";
import { MessageList } from "@/components/MessageList.tsx";
import { NameDialog } from "@/components/NameDialog.tsx";
import { Sidebar } from "@/components/Sidebar.tsx";

/** Props of {@link ChatApp}: what the server rendered the page with. */
export interface ChatAppProps {
  /** The room the page opened on. */
  room: string;
  /** Every room, for the sidebar. */
  rooms: RoomInfo[];
  /** The room's latest messages, oldest first. */
  messages: ChatMessage[];
  /** Whether older messages exist. */
  hasMore: boolean;
  /** The signed-in account's name; guests choose a name instead. */
  account?: string | null;
  /** The CSRF token of the logout form, when signed in. */
  logoutToken?: string | null;
}

const NAME_KEY = "chat:name";
/** Rooms joined for unread counts; others are joined when opened. */
const WATCHED_ROOMS = 30;
const TYPING_REPEAT_MS = 2000;

/**
 * The chat page: rooms, the live message list, members and the composer.
 * Renders the server's messages first; in the browser it connects, resumes
 * after the last message shown and keeps everything live.
 */
export default function ChatApp(props: ChatAppProps): VNode {
  const store = useMemo(() => {
    const s = new ChatStore();
    s.rooms.value = props.rooms;
    s.current.value = props.room;
    s.addHistory(props.room, props.messages, props.hasMore, false);
    return s;
  }, []);
  const conn = useSignal<ChatConnection | null>(null);
  const name = useSignal("");
  const askName = useSignal(false);
  const nameError = useSignal("");
  const createError = useSignal("");
  const drawer = useSignal<"rooms" | "members" | null>(null);
  const now = useSignal(Date.now());
  const online = useSignal(true);
  const atBottom = useSignal(true);
  const newBelow = useSignal(false);
  const logRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const typingSent = useRef(0);
  /** The own message being edited in the composer. */
  const editing = useSignal<{ room: string; id: number } | null>(null);
  /** A delete asks once more: the id whose Delete was clicked once. */
  const confirmDelete = useSignal<number | null>(null);

  const room = store.currentRoom.value;
  const current = store.current.value;
  const pending = conn.value?.pending.value ?? [];

  // Connect once a name is known.
  useEffect(() => {
    const saved = props.account ?? localStorage.getItem(NAME_KEY);
    if (saved) name.value = saved;
    else askName.value = true;
    const tick = setInterval(() => now.value = Date.now(), 1000);
    const onOnline = () => online.value = navigator.onLine;
    addEventListener("online", onOnline);
    addEventListener("offline", onOnline);
    const onPop = () => {
      const m = /^\/rooms\/([^/]+)/.exec(location.pathname);
      if (m) openRoom(decodeURIComponent(m[1]), false);
    };
    addEventListener("popstate", onPop);
    const onVisible = () => {
      if (!document.hidden) store.hiddenUnread.value = 0;
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      clearInterval(tick);
      removeEventListener("online", onOnline);
      removeEventListener("offline", onOnline);
      removeEventListener("popstate", onPop);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, []);

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
          for (const r of f.rooms.slice(0, WATCHED_ROOMS)) c.join(r.id);
        } else if (f.type === "error" && f.frame?.type === "create") {
          createError.value = f.message;
        } else if (f.type === "room" && c.joined < WATCHED_ROOMS) {
          c.join(f.room.id);
        }
      },
      onRejected: (_code, reason) => {
        nameError.value = reason || "That name can't be used";
        localStorage.removeItem(NAME_KEY);
        askName.value = true;
      },
    });
    const last = room.items.peek().findLast((i) => i.kind === "message");
    // The server rendered everything up to `last` (or an empty room): resume after it.
    c.join(props.room, last?.kind === "message" ? last.id : 0);
    c.start();
    conn.value = c;
    return () => c.stop();
  }, [me]);

  // Unread count in the title while the tab is hidden; notify on mentions.
  useSignalEffect(() => {
    const n = store.hiddenUnread.value;
    document.title = `${n ? `(${n}) ` : ""}#${store.current.value} — Chat`;
  });
  useSignalEffect(() => {
    const m = store.lastMention.value;
    if (!m || !document.hidden || typeof Notification === "undefined") return;
    if (Notification.permission === "granted") {
      new Notification(`${m.user} in #${m.room}`, {
        body: m.text.slice(0, 140),
      });
    }
  });

  // Keep the view at the bottom when it was there; else offer the pill.
  const itemCount = room.items.value.length + pending.length;
  useEffect(() => {
    const el = logRef.current;
    if (!el) return;
    if (atBottom.value) el.scrollTop = el.scrollHeight;
    else newBelow.value = true;
  }, [itemCount, current]);

  async function loadOlder() {
    const r = store.room(store.current.value);
    const first = r.items.value.find((i) => i.kind === "message");
    if (!r.hasMore.value || !first || first.kind !== "message") return;
    const el = logRef.current;
    const fromBottom = el ? el.scrollHeight - el.scrollTop : 0;
    const page = await fetchHistory(store.current.value, { before: first.id });
    if (!page) return;
    store.addHistory(store.current.value, page.messages, page.hasMore, true);
    requestAnimationFrame(() => {
      if (el) el.scrollTop = el.scrollHeight - fromBottom;
    });
  }

  async function openRoom(id: string, push = true) {
    drawer.value = null;
    store.open(id);
    atBottom.value = true;
    newBelow.value = false;
    if (push) history.pushState(null, "", `/rooms/${id}`);
    conn.value?.join(id);
    const r = store.room(id);
    if (!r.loaded) {
      const page = await fetchHistory(id);
      if (page) {
        store.addHistory(id, page.messages, page.hasMore, false);
        const last = page.messages.at(-1);
        if (last) conn.value?.seen(id, last.id);
      }
    }
    inputRef.current?.focus();
  }

  function send() {
    const el = inputRef.current;
    const c = conn.value;
    if (!el || !c) return;
    const text = el.value.trim();
    if (!text) return;
    if (editing.value) {
      const { room, id } = editing.value;
      c.sendFrame({ type: "edit", room, id, text });
      editing.value = null;
      el.value = "";
      return;
    }
    c.send(store.current.value, text);
    c.sendFrame({ type: "typing", room: store.current.value, typing: false });
    typingSent.current = 0;
    el.value = "";
    atBottom.value = true;
  }

  function onInput() {
    const c = conn.value;
    if (!c || Date.now() - typingSent.current < TYPING_REPEAT_MS) return;
    typingSent.current = Date.now();
    c.sendFrame({ type: "typing", room: store.current.value, typing: true });
  }

  const retryAt = conn.value?.retryAt.value ?? null;
  const typing = room.typing.value.filter((u) => u !== store.me.value);
  const roomPending = pending.filter((p) => p.room === current);

  return (
    <div class={`chat${drawer.value ? ` drawer-${drawer.value}` : ""}`}>
      <ConnectionBanner
        state={conn.value?.state.value ?? "connecting"}
        retryIn={retryAt === null
          ? null
          : Math.max(0, Math.ceil((retryAt - now.value) / 1000))}
        waiting={pending.length}
        online={online.value}
      />
      <nav class="sidebar" id="rooms" aria-label="Rooms">
        <Sidebar
          rooms={store.rooms.value}
          current={current}
          unread={store.unread.value}
          mentions={store.mentions.value}
          onOpen={(id) => openRoom(id)}
          onCreate={(id) => {
            createError.value = "";
            if (!conn.value?.sendFrame({ type: "create", room: id })) {
              createError.value = "Not connected; try again in a moment";
            }
          }}
          createError={createError.value}
        />
      </nav>
      <main class="pane" id="main">
        <header class="pane-head">
          <button
            type="button"
            class="icon only-phone"
            aria-controls="rooms"
            aria-expanded={drawer.value === "rooms"}
            onClick={() =>
              drawer.value = drawer.value === "rooms" ? null : "rooms"}
          >
            Rooms
          </button>
          <h1># {current}</h1>
          <span class="who">
            {store.me.value
              ? `${
                props.account ? "Signed in" : "Chatting"
              } as ${store.me.value}`
              : ""}
          </span>
          {props.logoutToken
            ? (
              <form method="post" action="/logout" class="logout-form">
                <input type="hidden" name="csrf" value={props.logoutToken} />
                <button type="submit" class="icon">Log out</button>
              </form>
            )
            : (
              <a
                class="icon"
                href={`/login?next=${encodeURIComponent(`/rooms/${current}`)}`}
              >
                Log in
              </a>
            )}
          {IS_BROWSER && typeof Notification !== "undefined" &&
            Notification.permission === "default" && (
            <button
              type="button"
              class="icon notify"
              aria-label="Notify me of mentions"
              title="Notify me of mentions"
              onClick={() => Notification.requestPermission()}
            >
              <svg
                viewBox="0 0 24 24"
                width="16"
                height="16"
                aria-hidden="true"
                fill="none"
                stroke="currentColor"
                stroke-width="2"
              >
                <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
                <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
              </svg>
            </button>
          )}
          <button
            type="button"
            class="icon only-narrow"
            aria-controls="members"
            aria-expanded={drawer.value === "members"}
            onClick={() =>
              drawer.value = drawer.value === "members" ? null : "members"}
          >
            Members
          </button>
        </header>
        <div
          class="log"
          ref={logRef}
          role="log"
          aria-live="polite"
          aria-label={`Messages in #${current}`}
          tabIndex={0}
          onScroll={(e) => {
            const el = e.currentTarget;
            atBottom.value =
              el.scrollHeight - el.scrollTop - el.clientHeight < 40;
            if (atBottom.value) newBelow.value = false;
            if (el.scrollTop < 40) loadOlder();
          }}
        >
          {room.hasMore.value && (
            <button type="button" class="link older" onClick={loadOlder}>
              Load older messages
            </button>
          )}
          <MessageList
            items={room.items.value}
            pending={roomPending}
            me={store.me.value}
            onRetry={(id) => conn.value?.retry(id)}
            onDiscard={(id) => conn.value?.discard(id)}
            onEdit={(id, text) => {
              editing.value = { room: current, id };
              const el = inputRef.current;
              if (el) {
                el.value = text;
                el.focus();
              }
            }}
            onDelete={(id) => {
              if (confirmDelete.value !== id) {
                confirmDelete.value = id;
                return;
              }
              confirmDelete.value = null;
              conn.value?.sendFrame({ type: "delete", room: current, id });
            }}
            confirmDelete={confirmDelete.value}
            canChange={(room, id) => Boolean(props.account) ||
              store.mine.value.has(`${room}\u0000${id}`)}
          />
        </div>
        {newBelow.value && !atBottom.value && (
          <button
            type="button"
            class="pill"
            onClick={() => {
              const el = logRef.current;
              if (el) el.scrollTop = el.scrollHeight;
              newBelow.value = false;
            }}
          >
            New messages ↓
          </button>
        )}
        <p class="typing-line" aria-live="polite">
          {typing.length === 0
            ? ""
            : typing.length === 1
            ? `${typing[0]} is typing…`
            : `${typing.slice(0, 3).join(", ")} are typing…`}
        </p>
        {editing.value && (
          <p class="editing-line">
            Editing your message (Esc to cancel) ·{" "}
            <button
              type="button"
              class="link"
              onClick={() => {
                editing.value = null;
                if (inputRef.current) inputRef.current.value = "";
              }}
            >
              Cancel
            </button>
          </p>
        )}
        <form
          class="composer"
          onSubmit={(e) => {
            e.preventDefault();
            send();
          }}
        >
          <label for="composer" class="sr-only">Message #{current}</label>
          <textarea
            id="composer"
            ref={inputRef}
            rows={1}
            placeholder={`Message #${current}`}
            maxLength={4096}
            onInput={onInput}
            onKeyDown={(e) => {
              if (e.key === "Escape" && editing.value) {
                editing.value = null;
                e.currentTarget.value = "";
                return;
              }
              if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
                e.preventDefault();
                send();
              }
            }}
          />
          <button type="submit" class="button">Send</button>
        </form>
      </main>
      <aside class="members" id="members" aria-label="Members">
        <Members
          users={room.members.value}
          typing={room.typing.value}
          me={store.me.value}
        />
      </aside>
      {askName.value && (
        <NameDialog
          error={nameError.value}
          onInvalid={(message) => nameError.value = message}
          onChoose={(wanted) => {
            localStorage.setItem(NAME_KEY, wanted);
            nameError.value = "";
            askName.value = false;
            name.value = wanted;
          }}
        />
      )}
    </div>
  );
}
