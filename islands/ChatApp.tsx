import type { VNode } from "preact";
import { useSignal } from "@preact/signals";
import { useEffect, useMemo, useRef } from "preact/hooks";
import { ChatStore } from "@/lib/client/chat_store.ts";
import { fetchHistory } from "@/lib/client/history.ts";
import { useConnection } from "@/lib/client/hooks/use_connection.ts";
import { usePageTitle } from "@/lib/client/hooks/use_page_title.ts";
import { useScrollFollow } from "@/lib/client/hooks/use_scroll_follow.ts";
import type { ChatMessage, RoomInfo } from "@/lib/shared/protocol.ts";
import { Composer, type Editing } from "@/components/Composer.tsx";
import { ConnectionBanner } from "@/components/ConnectionBanner.tsx";
import { Members } from "@/components/Members.tsx";
import { MessageList } from "@/components/MessageList.tsx";
import { NameDialog } from "@/components/NameDialog.tsx";
import { type Drawer, PaneHeader } from "@/components/PaneHeader.tsx";
import { Sidebar } from "@/components/Sidebar.tsx";
import { displayName } from "@/lib/shared/text.ts";

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
  const link = useConnection(store, props.room, props.account);
  const { conn, createError } = link;
  const drawer = useSignal<Drawer>(null);
  const logRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const typingSent = useRef(0);
  const editing = useSignal<Editing | null>(null);
  /** A delete asks once more: the id whose Delete was clicked once. */
  const confirmDelete = useSignal<number | null>(null);
  usePageTitle(store);

  const room = store.currentRoom.value;
  const current = store.current.value;
  const pending = conn.value?.pending.value ?? [];
  const follow = useScrollFollow(
    logRef,
    room.items.value.length + pending.length,
    current,
    loadOlder,
  );

  useEffect(() => {
    const onPop = () => {
      const m = /^\/rooms\/([^/]+)/.exec(location.pathname);
      if (m) openRoom(decodeURIComponent(m[1]), false);
    };
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);

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
    follow.toBottom();
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

  function submit(text: string) {
    const c = conn.value;
    if (!c) return;
    if (editing.value) {
      const { room, id } = editing.value;
      c.sendFrame({ type: "edit", room, id, text });
      editing.value = null;
      return;
    }
    c.send(store.current.value, text);
    c.sendFrame({ type: "typing", room: store.current.value, typing: false });
    typingSent.current = 0;
    follow.atBottom.value = true;
  }

  function onTyping() {
    const c = conn.value;
    if (!c || Date.now() - typingSent.current < TYPING_REPEAT_MS) return;
    typingSent.current = Date.now();
    c.sendFrame({ type: "typing", room: store.current.value, typing: true });
  }

  const retryAt = conn.value?.retryAt.value ?? null;
  const typing = room.typing.value.filter((u) => u !== store.me.value);
  const typingNames = typing.map((u) =>
    displayName(
      u,
      room.members.value.find((m) => m.name === u)?.guest ?? true,
    )
  );
  const roomPending = pending.filter((p) => p.room === current);

  return (
    <div class={`chat${drawer.value ? ` drawer-${drawer.value}` : ""}`}>
      <ConnectionBanner
        state={conn.value?.state.value ?? "connecting"}
        retryIn={retryAt === null
          ? null
          : Math.max(0, Math.ceil((retryAt - link.now.value) / 1000))}
        waiting={pending.length}
        online={link.online.value}
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
        <PaneHeader
          room={current}
          me={store.me.value}
          signedIn={Boolean(props.account)}
          logoutToken={props.logoutToken}
          drawer={drawer}
        />
        <div
          class="log"
          ref={logRef}
          role="log"
          aria-live="polite"
          aria-label={`Messages in #${current}`}
          tabIndex={0}
          onScroll={follow.onScroll}
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
            canChange={(room, id) =>
              Boolean(props.account) ||
              store.mine.value.has(`${room}\u0000${id}`)}
          />
        </div>
        {follow.newBelow.value && !follow.atBottom.value && (
          <button type="button" class="pill" onClick={follow.toBottom}>
            New messages ↓
          </button>
        )}
        <p class="typing-line" aria-live="polite">
          {typing.length === 0
            ? ""
            : typing.length === 1
            ? `${typingNames[0]} is typing…`
            : `${typingNames.slice(0, 3).join(", ")} are typing…`}
        </p>
        <Composer
          room={current}
          maxBytes={store.maxTextBytes.value}
          editing={editing}
          inputRef={inputRef}
          onSubmit={submit}
          onTyping={onTyping}
        />
      </main>
      <aside class="members" id="members" aria-label="Members">
        <Members
          users={room.members.value}
          typing={room.typing.value}
          me={store.me.value}
        />
      </aside>
      {link.askName.value && (
        <NameDialog
          error={link.nameError.value}
          onInvalid={(message) => link.nameError.value = message}
          onChoose={link.chooseName}
        />
      )}
    </div>
  );
}
