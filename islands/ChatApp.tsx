import type { VNode } from "preact";
import { useComputed, useSignal } from "@preact/signals";
import { useCallback, useEffect, useMemo, useRef } from "preact/hooks";
import { ChatStore, sortRooms } from "@/lib/client/chat_store.ts";
import { fetchHistory } from "@/lib/client/history.ts";
import { useConnection } from "@/lib/client/hooks/use_connection.ts";
import { useDrawer } from "@/lib/client/hooks/use_drawer.ts";
import { useLayer } from "@/lib/client/hooks/use_layer.ts";
import { usePageTitle } from "@/lib/client/hooks/use_page_title.ts";
import { useScrollFollow } from "@/lib/client/hooks/use_scroll_follow.ts";
import { scrollWithin } from "@/lib/client/scroll_within.ts";
import { useShortcuts } from "@/lib/client/hooks/use_shortcuts.ts";
import { focusBack } from "@/lib/client/layers.ts";
import { inTimeline } from "@/lib/client/thread_state.ts";
import type {
  ChatMessage,
  ClientFrame,
  MyRoom,
} from "@/lib/shared/protocol.ts";
import { Composer, type Editing } from "@/components/Composer.tsx";
import { UploadBar } from "@/components/UploadBar.tsx";
import { ConnectionBanner } from "@/components/ConnectionBanner.tsx";
import { JoinBar } from "@/components/JoinBar.tsx";
import { Members } from "@/components/Members.tsx";
import { MessageList } from "@/components/MessageList.tsx";
import { ReactionSlot } from "@/components/ReactionSlot.tsx";
import { dialogs, roomExtras, wanted } from "@/components/on_demand.ts";
import { ThreadPanel } from "@/components/ThreadPanel.tsx";
import { NotifyButton } from "@/components/NotifyButton.tsx";
import { PaneHeader } from "@/components/PaneHeader.tsx";
import { ScrollSignals } from "@/components/ScrollSignals.tsx";
import { TypingLine } from "@/components/TypingLine.tsx";
import {
  isClosed,
  roomLabel,
  roomRef,
  Sidebar,
  unreadElsewhere,
} from "@/components/Sidebar.tsx";

/** Props of {@link ChatApp}: what the server rendered the page with. */
export interface ChatAppProps {
  /** The room the page opened on. */
  room: string;
  /** The rooms the reader is a member of, when the server knows them. */
  rooms: MyRoom[];
  /** The room's latest messages, oldest first. */
  messages: ChatMessage[];
  /** Whether older messages exist. */
  hasMore: boolean;
  /** The signed-in account's name; guests choose a name instead. */
  account?: string | null;
  /** The CSRF token of the logout form, when signed in. */
  logoutToken?: string | null;
  /** Whether the account moderates every room (an admin). */
  admin?: boolean;
  /** Rooms the account created, and so moderates. */
  owns?: string[];
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
    s.rooms.value = sortRooms(props.rooms);
    s.current.value = props.room;
    s.addHistory(props.room, props.messages, props.hasMore, false);
    return s;
  }, []);
  const owns = useSignal<ReadonlySet<string>>(new Set(props.owns ?? []));
  const link = useConnection(store, props.room, props.account, (id) => {
    // An account owns the rooms it creates; a DM is nobody's.
    const dm = store.rooms.peek().some((r) => r.id === id && r.kind === "dm");
    if (props.account && !dm) owns.value = new Set(owns.value).add(id);
    openRoom(id);
  });
  const { conn, createError } = link;
  const drawer = useDrawer();
  const dialog = useSignal<
    "switcher" | "help" | "directory" | "search" | null
  >(null);
  const logRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const typingSent = useRef(0);
  const olderLoading = useRef<Promise<void> | null>(null);
  const editing = useSignal<Editing | null>(null);
  /** A message to scroll to once its room shows (see `jumpTo`). */
  const jump = useSignal<{ room: string; id: number; thread?: number } | null>(
    null,
  );
  usePageTitle(store, async (m) => {
    await openRoom(m.room);
    if (m.parent !== undefined) openThread(m.parent);
  });
  // A dialog's close event can come after another dialog has opened (Ctrl+K
  // right after Escape): it closes only itself.
  const closeDialog = (kind: typeof dialog.value) => () => {
    if (dialog.value === kind) dialog.value = null;
  };
  useShortcuts(store, {
    open: (id) => openRoom(id),
    switcher: () => dialog.value = "switcher",
    help: () => dialog.value = "help",
  });

  const room = store.currentRoom.value;
  const current = store.current.value;
  const pending = conn.value?.pending.value ?? [];
  // Replies wait in their thread's panel, not in the room.
  const roomPending = pending.filter((p) =>
    p.room === current && p.parent === undefined
  );
  const thread = store.threads.open.value;
  const threadPending = thread
    ? pending.filter((p) => p.room === thread.room && p.parent === thread.id)
    : [];
  const connState = conn.value?.state.value;
  // The connection banner sits below the room's header, however tall.
  useEffect(() => {
    const head = document.querySelector<HTMLElement>(".pane-head");
    if (!head || typeof ResizeObserver === "undefined") return;
    const root = document.documentElement.style;
    const watch = new ResizeObserver(() =>
      root.setProperty("--head-h", `${head.offsetHeight}px`)
    );
    watch.observe(head);
    return () => watch.disconnect();
  }, []);
  // The open thread's replies load (again after a reconnect).
  useEffect(() => {
    if (!thread || connState !== "open") return;
    conn.value?.sendFrame({ type: "thread", room: thread.room, id: thread.id });
  }, [thread?.room, thread?.id, connState]);
  // The message being edited was deleted meanwhile (by a moderator, or in
  // another tab): the edit ends, and what was written stays in the box.
  const edited = editing.value;
  useEffect(() => {
    if (!edited || edited.room !== current) return;
    const gone = room.items.value.some((i) =>
      i.kind === "message" && i.id === edited.id && i.deleted
    );
    if (!gone) return;
    editing.value = null;
    link.problem.value =
      "The message you were editing was deleted; what you wrote stays in the box";
  }, [edited, current, room.items.value]);
  const items = useComputed(() => store.currentRoom.value.items.value);
  const follow = useScrollFollow(
    logRef,
    items,
    store.me,
    current,
    roomPending.length,
    loadOlder,
  );
  // Reading back, the lines read stay however many come in below.
  const readingBack = !follow.atBottom.value;
  useEffect(() => {
    const r = store.room(current);
    r.readingBack = readingBack;
    // Left behind, a room keeps only its newest lines again.
    return () => void (r.readingBack = false);
  }, [current, readingBack]);
  // A message jumped to (a search hit, a pin) is scrolled to and marked
  // once its room shows: after the scroll-follow's effect above, which
  // puts a newly opened room at its newest line.
  const target = jump.value;
  // In a thread, the reply shows once the thread's page has come.
  const threadReplies = store.threads.replies.value;
  useEffect(() => {
    if (!target) return;
    const inThread = target.thread !== undefined;
    if (inThread && !threadReplies.some((m) => m.id === target.id)) {
      const open = store.threads.open.peek();
      // Given up on when another thread opens, or none.
      if (!open || open.id !== target.thread) jump.value = null;
      else if (!store.threads.loading.peek()) {
        // An older reply: its page is asked for, until there are no more.
        const before = store.threads.olderBefore();
        if (before === undefined || before < target.id) jump.value = null;
        else {
          conn.value?.sendFrame({
            type: "thread",
            room: open.room,
            id: open.id,
            before,
          });
        }
      }
      return;
    }
    jump.value = null;
    // The reader went to another room meanwhile: no jump there.
    if (target.room !== current) return;
    const el = (inThread ? document.getElementById("thread") : logRef.current)
      ?.querySelector<HTMLElement>(`[data-id="${target.id}"]`);
    if (!el) return;
    scrollWithin(el, "center");
    el.classList.add("jumped");
    setTimeout(() => el.classList.remove("jumped"), 4000);
  }, [target, current, threadReplies]);
  const moderator = Boolean(props.admin) || owns.value.has(current);
  const send = (frame: ClientFrame) => conn.value?.sendFrame(frame);
  /** Sends what the reader did; offline, says it was not done. */
  const act = (frame: ClientFrame) => {
    if (!send(frame)) {
      link.offline("Not connected: nothing was changed; try again in a moment");
      // What went wrong before is old news once something else is done.
    } else link.problem.value = "";
  };
  const showPins = useSignal(false);
  // What opened the pinned list (📌, the room menu): it has the focus after.
  const pinsOpener = useRef<Element | null>(null);
  const closePins = () => {
    showPins.value = false;
    focusBack(pinsOpener.current);
  };
  const extras = showPins.value ? roomExtras() : null;
  // The pinned list is a layer (its code comes later; the layers' is here).
  useLayer(Boolean(extras), closePins);
  // The dialogs load on first opening, or sooner: once the page is idle,
  // so Ctrl+K's switcher takes what is typed straight after.
  const opened = dialog.value || link.askName.value || link.renamed.value
    ? dialogs()
    : null;
  useEffect(() => {
    const warm = () => dialogs();
    if (typeof requestIdleCallback === "function") requestIdleCallback(warm);
    else setTimeout(warm, 1000);
  }, []);
  const pins = store.reactions.pinsOf(current).value;
  const pinnedIds = new Set((pins ?? []).map((p) => p.message.id));
  const joins = store.reactions.joins.value;
  const ready = store.me.value !== "";
  // The reactions of the messages on screen (the room's and the open
  // thread's, of the same room), asked for once per (re)join.
  const replies = store.threads.replies.value;
  useEffect(() => {
    const c = conn.value;
    if (!c || !ready) return;
    const ids = [...room.items.value, ...replies].flatMap((i) =>
      "id" in i && !i.event && !i.deleted ? [i.id] : []
    );
    const fresh = store.reactions.toAsk(current, ids);
    if (fresh.length) send({ type: "reactions", room: current, ids: fresh });
  }, [current, room.items.value, replies, joins, conn.value, ready]);
  // The room's pins, when it opens and after each (re)join of it (not of
  // every room the reader is in, which would ask once per room).
  const joinsHere = store.reactions.joinsIn(current);
  useEffect(() => {
    if (ready) send({ type: "pins", room: current });
  }, [current, joinsHere, conn.value, ready]);
  const mine = store.rooms.value.find((r) => r.id === current);
  const known = store.me.value !== "";
  const member = Boolean(mine);
  // Until `welcome` says which rooms are one's own, the composer shows.
  const previewing = known && !mine;
  const lastSeen = lastMessageId(room.items.value);
  const visible = link.visible.value;
  const atBottom = follow.atBottom.value;
  // The newest message on screen is read (debounced on the way out).
  useEffect(() => {
    // Not before `welcome`: the server's read mark is not known yet.
    if (known && mine && atBottom && visible && lastSeen > 0) {
      link.read(current, lastSeen);
    }
  }, [current, lastSeen, atBottom, visible, member, known]);
  // A room opening with more unread than fits starts at its "New" divider.
  const newAfter = room.newAfter.value;
  const shownDivider = useRef("");
  useEffect(() => {
    const key = `${current}:${newAfter}`;
    const divider = document.getElementById("new-divider");
    const log = logRef.current;
    if (!divider || !log || shownDivider.current === key) return;
    shownDivider.current = key;
    if (divider.getBoundingClientRect().top < log.getBoundingClientRect().top) {
      scrollWithin(divider, "start");
    }
  }, [current, newAfter, room.items.value.length]);

  // Joined from the preview: the composer takes the Join button's focus.
  const wasMember = useRef(member);
  useEffect(() => {
    if (member && !wasMember.current) inputRef.current?.focus();
    wasMember.current = member;
  }, [member]);
  // The room on screen, for presence and typing.
  useEffect(() => {
    if (visible) conn.value?.view(current);
  }, [current, conn.value]);

  useEffect(() => {
    const onPop = () => {
      const m = /^\/rooms\/([^/]+)/.exec(location.pathname);
      if (m) openRoom(decodeURIComponent(m[1]), false);
    };
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);
  // After the name dialog, the composer has the focus.
  const asking = link.askName.value;
  const asked = useRef(false);
  useEffect(() => {
    if (asked.current && !asking) inputRef.current?.focus();
    asked.current = asking;
  }, [asking]);

  // A room opened while offline loads once the connection (or the
  // network) is back, and one invited back into once the invite comes.
  useEffect(() => {
    const load = () => {
      const id = store.current.peek();
      if (known && !store.room(id).loaded) loadLatest(id);
    };
    if (connState === "open") load();
    addEventListener("online", load);
    return () => removeEventListener("online", load);
  }, [known, connState, member]);

  async function loadLatest(id: string) {
    const page = await fetchHistory(id);
    if (page) {
      store.addHistory(id, page.messages, page.hasMore, false);
      const last = page.messages.at(-1);
      if (last) conn.value?.seen(id, last.id);
    }
  }

  /**
   * Loads the page before the oldest message shown; while one is on its
   * way, a call gets that one (scroll events keep coming at the top).
   */
  function loadOlder(): Promise<void> {
    return olderLoading.current ??= (async () => {
      const id = store.current.peek();
      const r = store.room(id);
      const first = r.items.peek().find((i) => i.kind === "message");
      if (!r.hasMore.peek() || first?.kind !== "message") return;
      const page = await fetchHistory(id, { before: first.id });
      if (!page) return;
      // Chromium keeps the view at the top of a bottom-up log as lines come
      // in above it: the offset from the bottom is put back once they show.
      const log = logRef.current;
      const fromBottom = log?.scrollTop ?? 0;
      store.addHistory(id, page.messages, page.hasMore, true);
      // After the next frame (or a moment, in a hidden tab that draws none).
      await new Promise((r) => {
        requestAnimationFrame(r);
        setTimeout(r, 100);
      });
      if (log && store.current.peek() === id) log.scrollTop = fromBottom;
    })().finally(() => olderLoading.current = null);
  }

  /** Opens the thread of message `id` of the room on screen in the side panel. */
  function openThread(id: number) {
    const here = store.current.peek();
    const root = store.room(here).items.peek().find((i) =>
      i.kind === "message" && i.id === id
    );
    store.threads.show(
      here,
      id,
      root?.kind === "message" ? root : null,
    );
  }

  function closeThread() {
    const id = store.threads.open.peek()?.id;
    store.threads.close();
    // Focus goes back to the message the thread was opened from.
    logRef.current?.querySelector<HTMLElement>(
      `[data-id="${id}"] .thread-summary, [data-id="${id}"] .reply`,
    )?.focus();
  }

  async function openRoom(id: string, push = true) {
    if (store.threads.open.peek()?.room !== id) store.threads.close();
    // A dialog this came from (the switcher, search) gives the focus back to
    // where it was as it closes: the message box takes it after that.
    const fromDialog = dialog.peek() !== null;
    dialog.value = null;
    drawer.open.value = null;
    link.problem.value = "";
    if (id !== store.current.peek()) {
      store.open(id);
      if (push) history.pushState(null, "", `/rooms/${id}`);
      link.members(id);
      if (!store.room(id).loaded) await loadLatest(id);
    }
    if (fromDialog) await new Promise((r) => setTimeout(r));
    (inputRef.current ??
      document.querySelector<HTMLElement>(".join-bar button"))
      ?.focus();
  }

  /**
   * Opens `id` (a search result) in its room: older pages load until it is
   * there, then it is scrolled to and marked for a moment.
   */
  async function jumpTo(roomId: string, id: number, thread?: number) {
    await openRoom(roomId);
    if (thread !== undefined) {
      // A reply shown only in its thread: that thread opens at it.
      if (store.current.peek() !== roomId) return;
      openThread(thread);
      jump.value = { room: roomId, id, thread };
      return;
    }
    const r = store.room(roomId);
    const has = () =>
      r.items.peek().some((i) => i.kind === "message" && i.id === id);
    const here = () => store.current.peek() === roomId;
    // Each page is 50 messages; a hit further back than this stays unloaded.
    for (
      let pages = 0;
      pages < 40 && here() && !has() && r.hasMore.peek();
      pages++
    ) {
      await loadOlder();
    }
    // Scrolled to once rendered (see the effect after the scroll-follow),
    // unless the reader went elsewhere meanwhile.
    if (here()) jump.value = { room: roomId, id };
  }

  function leave() {
    const id = store.current.peek();
    conn.value?.leave(id);
    store.apply({ type: "left", room: id });
    const next = store.rooms.peek()[0];
    if (next) openRoom(next.id);
  }

  /**
   * Closes the DM `id` (every tab hides it once the server says so); the
   * open room moves on to the first one listed.
   */
  function closeDm(id: string) {
    if (!conn.value?.sendFrame({ type: "close_dm", room: id })) {
      link.offline("Not connected: the conversation stays open");
      return;
    }
    if (store.current.peek() !== id) return;
    const next = store.rooms.peek().find((r) => r.id !== id && !isClosed(r));
    if (next) openRoom(next.id);
  }

  /** Sends an edit; offline, false and a note: the edit stays open. */
  function saveEdit(room: string, id: number, text: string): boolean {
    if (conn.value?.sendFrame({ type: "edit", room, id, text })) return true;
    link.offline("Not connected: the edit is not saved yet");
    return false;
  }

  function submit(text: string): boolean {
    const c = conn.value;
    if (!c) return false;
    if (editing.value) {
      const { room, id } = editing.value;
      if (!saveEdit(room, id, text)) return false;
      editing.value = null;
      return true;
    }
    c.send(store.current.value, text);
    link.problem.value = "";
    c.sendFrame({ type: "typing", room: store.current.value, typing: false });
    typingSent.current = 0;
    // One's own message is always shown, however tall.
    follow.toBottom();
    return true;
  }

  /**
   * Says the reader is typing in the open room (at most every
   * TYPING_REPEAT_MS), or, when told so, that they stopped.
   */
  function onTyping(typing: boolean, room = store.current.peek()) {
    const c = conn.value;
    if (!c) return;
    if (!typing) {
      if (typingSent.current === 0) return;
      typingSent.current = 0;
      c.sendFrame({ type: "typing", room, typing: false });
      return;
    }
    if (Date.now() - typingSent.current < TYPING_REPEAT_MS) return;
    typingSent.current = Date.now();
    c.sendFrame({ type: "typing", room, typing: true });
  }
  // Leaving a room stops typing there.
  const typedIn = useRef(current);
  useEffect(() => {
    if (typedIn.current !== current) onTyping(false, typedIn.current);
    typedIn.current = current;
  }, [current]);

  const canChange = (r: string, id: number) =>
    Boolean(props.account) || store.mine.value.has(`${r}\u0000${id}`);
  function edit(id: number, text: string) {
    editing.value = { room: current, id };
    const el = inputRef.current;
    if (el) {
      el.value = text;
      el.focus();
      el.dispatchEvent(new Event("input"));
    }
  }

  const retryAt = conn.value?.retryAt.value ?? null;
  const pinnedKey = [...pinnedIds].join(",");
  /**
   * A message's reactions, in the room and in the thread panel alike: the
   * same function while what it shows stays, so message rows render again
   * only when it changes.
   */
  const slot = useCallback((m: ChatMessage) => (
    <ReactionSlot
      room={m.room}
      id={m.id}
      view={store.reactions.of(m.room, m.id)}
      canReact={member}
      pinned={pinnedIds.has(m.id)}
      moderator={moderator}
      send={act}
    />
  ), [member, pinnedKey, moderator]);

  return (
    <div
      class={`chat${drawer.open.value ? ` drawer-${drawer.open.value}` : ""}${
        thread ? " thread-open" : ""
      }`}
      onClick={(e) => {
        // A #room link in a message (the log's, a pin's, a thread's) opens
        // the room here when one is in it, without loading the page again.
        // Ctrl/Cmd/Shift-click still opens a new tab or window.
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        const a = (e.target as HTMLElement).closest("a.room-link");
        const id = a?.getAttribute("data-room");
        if (!id || !store.rooms.value.some((r) => r.id === id)) return;
        e.preventDefault();
        openRoom(id);
      }}
    >
      <ConnectionBanner
        state={conn.value?.state.value ?? "idle"}
        retryIn={retryAt === null
          ? null
          : Math.max(0, Math.ceil((retryAt - link.now.value) / 1000))}
        waiting={pending.length}
        online={link.online.value}
        onRetry={() => conn.value?.retryNow()}
      />
      <nav class="sidebar drawer-host" id="rooms" aria-label="Rooms">
        <button
          type="button"
          class="icon drawer-close only-phone"
          aria-label="Close rooms"
          onClick={drawer.close}
        >
          ×
        </button>
        <Sidebar
          rooms={store.rooms.value}
          current={current}
          onOpen={(id) => openRoom(id)}
          onBrowse={() => dialog.value = "directory"}
          onCreate={link.create}
          onInvalid={(m) => createError.value = m}
          createError={createError.value}
          onCloseDm={closeDm}
        />
        <NotifyButton />
        {store.me.value && (
          <p class="who-drawer only-phone">
            {props.account ? "Signed in" : "Chatting"} as {store.me.value}
          </p>
        )}
      </nav>
      <main class="pane" id="main">
        <PaneHeader
          room={current}
          title={mine ? roomLabel(mine) : `# ${current}`}
          online={room.total.value || room.online.value
            ? room.online.value
            : null}
          onLeave={mine && mine.kind !== "dm" ? leave : undefined}
          leaveWarning={mine?.kind === "private" && !moderator
            ? "You'll need an invite to come back."
            : undefined}
          me={store.me.value}
          signedIn={Boolean(props.account)}
          logoutToken={props.logoutToken}
          drawer={drawer}
          onHelp={() => dialog.value = "help"}
          onSearch={() => dialog.value = "search"}
          topic={mine?.topic}
          pinned={pins?.length ?? null}
          onPins={() => {
            if (showPins.value) return closePins();
            pinsOpener.current = document.activeElement;
            showPins.value = true;
          }}
          unread={unreadElsewhere(store.rooms.value, current)}
        />
        {extras && showPins.value && (
          <extras.PinnedList
            room={current}
            me={store.me.value}
            pins={pins ?? []}
            topic={mine?.topic}
            moderator={moderator}
            send={act}
            onShow={(id, thread) => jumpTo(current, id, thread)}
            onClose={closePins}
          />
        )}
        {opened && (
          <opened.RenameNotice
            renamed={link.renamed}
            room={current}
          />
        )}
        {link.problem.value && (
          <p class="problem" role="alert">{link.problem.value}</p>
        )}
        <div
          class="log"
          ref={logRef}
          role="region"
          aria-label={`Messages in ${roomRef(store.rooms.value, current)}`}
          tabIndex={0}
          onScroll={follow.onScroll}
          onPointerEnter={() => wanted.value = true}
          onFocusIn={() => wanted.value = true}
        >
          <div class="log-inner">
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
              onEdit={edit}
              onDelete={(id) => act({ type: "delete", room: current, id })}
              messageBox={inputRef}
              onKick={(user) => act({ type: "kick", room: current, user })}
              canChange={canChange}
              moderator={moderator}
              newAfter={newAfter}
              onThread={openThread}
              extras={slot}
            />
          </div>
        </div>
        <p class="sr-only" aria-live="polite" id="announcer">
          {store.announce.value}
        </p>
        <ScrollSignals follow={follow} />
        <TypingLine
          typing={room.typing.value}
          members={room.members.value}
          me={store.me.value}
        />
        {previewing
          ? (
            <JoinBar
              room={current}
              removed={store.removedFrom.value.has(current)}
              onJoin={() => conn.value?.join(current, lastSeen)}
            />
          )
          : (
            <>
              <UploadBar room={current} onPosted={link.own} />
              <Composer
                room={current}
                maxBytes={store.maxTextBytes.value}
                editing={editing}
                inputRef={inputRef}
                onSubmit={submit}
                onTyping={onTyping}
                members={room.members.value}
                online={room.online.value}
                rooms={store.rooms.value}
                me={store.me.value}
                onEditLast={() => {
                  // Only what the room shows: not replies kept in threads;
                  // and text, not files.
                  const last = room.items.value.findLast((i) =>
                    i.kind === "message" && inTimeline(i) &&
                    i.user === store.me.value && !i.file &&
                    !i.deleted && canChange(i.room, i.id)
                  );
                  if (last?.kind === "message") edit(last.id, last.text);
                }}
              />
            </>
          )}
      </main>
      <aside class="members drawer-host" id="members" aria-label="Members">
        <button
          type="button"
          class="icon drawer-close only-narrow"
          aria-label="Close members"
          onClick={drawer.close}
        >
          ×
        </button>
        <Members
          users={room.members.value}
          total={room.total.value}
          online={room.online.value}
          more={room.membersNext.value !== undefined}
          next={room.membersNext.value}
          typing={room.typing.value}
          me={store.me.value}
          account={Boolean(props.account)}
          manage={moderator && mine?.kind === "private"}
          onMore={() => {
            const here = store.current.peek();
            const next = store.room(here).membersNext.peek();
            if (next !== undefined) link.members(here, next);
          }}
          onMessage={link.dm}
          onInvite={(user) => act({ type: "invite", room: current, user })}
          onRemove={(user) => act({ type: "remove", room: current, user })}
        />
      </aside>
      {thread && (
        <ThreadPanel
          room={thread.room}
          named={roomRef(store.rooms.value, thread.room)}
          root={store.threads.root.value}
          replies={store.threads.replies.value}
          hasMore={store.threads.hasMore.value}
          loading={store.threads.loading.value}
          pending={threadPending}
          me={store.me.value}
          canReply={member}
          onSend={(text, alsoInRoom) =>
            conn.value?.send(thread.room, text, {
              parent: thread.id,
              alsoInRoom,
            })}
          onOlder={() => {
            const before = store.threads.olderBefore();
            if (before !== undefined) {
              conn.value?.sendFrame({
                type: "thread",
                room: thread.room,
                id: thread.id,
                before,
              });
            }
          }}
          onClose={closeThread}
          onRetry={(id) => conn.value?.retry(id)}
          onDiscard={(id) => conn.value?.discard(id)}
          onEdit={(id, text) => saveEdit(thread.room, id, text)}
          onDelete={(id) => act({ type: "delete", room: thread.room, id })}
          canChange={canChange}
          moderator={moderator}
          extras={slot}
          onPosted={link.own}
        />
      )}
      {drawer.open.value && (
        <div class="backdrop" aria-hidden="true" onClick={drawer.close} />
      )}
      {link.askName.value && opened && (
        <opened.NameDialog
          error={link.nameError.value}
          next={`/rooms/${current}`}
          onInvalid={(message) => link.nameError.value = message}
          onChoose={link.chooseName}
        />
      )}
      {dialog.value === "switcher" && opened && (
        <opened.RoomSwitcher
          rooms={store.rooms.value}
          unread={store.unread.value}
          onOpen={(id) => openRoom(id)}
          onClose={closeDialog("switcher")}
        />
      )}
      {dialog.value === "directory" && opened && (
        <opened.Directory
          mine={new Set(store.rooms.value.map((r) => r.id))}
          onOpen={(id) => openRoom(id)}
          onClose={closeDialog("directory")}
        />
      )}
      {dialog.value === "search" && opened && (
        <opened.SearchDialog
          rooms={store.rooms.value}
          onJump={jumpTo}
          onClose={closeDialog("search")}
        />
      )}
      {dialog.value === "help" && opened && (
        <opened.HelpDialog onClose={closeDialog("help")} />
      )}
    </div>
  );
}

/** The id of the newest message in `items`, 0 when there is none. */
function lastMessageId(
  items: readonly { kind: string; id?: number }[],
): number {
  for (let i = items.length - 1; i >= 0; i--) {
    const id = items[i].id;
    if (items[i].kind === "message" && id !== undefined) return id;
  }
  return 0;
}
