import type { VNode } from "preact";
import { useSignal } from "@preact/signals";
import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import type { ChatMessage } from "@/lib/shared/protocol.ts";
import type { Pending } from "@/lib/client/outbox.ts";
import { enterSends } from "@/lib/client/enter_sends.ts";
import { useLayer } from "@/lib/client/hooks/use_layer.ts";
import { MessageList, type MessageListProps } from "./MessageList.tsx";
import { UploadBar } from "./UploadBar.tsx";

/** Props of {@link ThreadPanel}. */
export interface ThreadPanelProps {
  /** The thread's room. */
  room: string;
  /** How the room is named to the reader ("#general", "@bo" for a DM). */
  named: string;
  /** The thread's first message, once known. */
  root: ChatMessage | null;
  /** Its replies, oldest first. */
  replies: ChatMessage[];
  /** Whether older replies exist. */
  hasMore: boolean;
  /** Whether the first page is awaited. */
  loading: boolean;
  /** One's own replies in this thread not yet acknowledged. */
  pending: readonly Pending[];
  /** The reader's name. */
  me: string;
  /** Whether the reader may reply (a member of the room). */
  canReply: boolean;
  /** Sends a reply, also to the room when `alsoInRoom`. */
  onSend: (text: string, alsoInRoom: boolean) => void;
  /** Loads older replies. */
  onOlder: () => void;
  /** Closes the panel. */
  onClose: () => void;
  /** Sends a refused reply again. */
  onRetry?: (clientId: string) => void;
  /** Drops a refused reply. */
  onDiscard?: (clientId: string) => void;
  /** Saves a new text for one's own reply; false when it could not (offline). */
  onEdit?: (id: number, text: string) => boolean;
  /** Deletes a reply, once confirmed. */
  onDelete?: (id: number) => void;
  /** Whether one's own reply may still be edited or deleted. */
  canChange?: (room: string, id: number) => boolean;
  /** Whether the reader moderates the room (deletes any reply). */
  moderator?: boolean;
  /** What shows under each message (its reactions), as in the room. */
  extras?: MessageListProps["extras"];
  /** Told of each file posted to the thread from here (one's own). */
  onPosted?: (room: string, id: number) => void;
}

/** Unsent replies by thread (room and first message), for this page's life. */
const drafts = new Map<string, string>();

/**
 * A thread in a side panel (a drawer on phones): its first message, the
 * replies with their reactions, and a reply box with "Also send to the
 * room" and its own Attach (files dropped on the panel or pasted into the
 * box are replies too). Enter works as in the composer (it sends, but on touch screens
 * breaks the line, and the Reply button sends); Up-arrow in the empty box
 * edits one's last reply, and Escape cancels the edit; otherwise Escape
 * closes the panel when it is the top-most layer.
 */
export function ThreadPanel(props: ThreadPanelProps): VNode {
  const { room, root, replies, me } = props;
  const alsoInRoom = useSignal(false);
  /** The id of the reply being edited in the box. */
  const editing = useSignal<number | null>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  /** What the reply box holds, kept should the box go (a closed thread). */
  const unsent = useRef("");
  const log = useRef<HTMLDivElement>(null);
  const rootId = root?.id;
  // Each thread keeps its own draft; another thread's never shows here.
  useEffect(() => {
    const el = input.current;
    const key = `${room}\u0000${rootId}`;
    if (el && rootId !== undefined) {
      el.value = unsent.current = drafts.get(key) ?? "";
    }
    editing.value = null;
    alsoInRoom.value = false;
    el?.focus();
    return () => {
      if (!el || rootId === undefined || editing.peek() !== null) return;
      if (el.value.trim()) drafts.set(key, el.value);
      else drafts.delete(key);
    };
  }, [room, rootId]);
  // The newest reply stays in view as replies arrive.
  useEffect(() => {
    const el = log.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [replies.length, props.pending.length]);
  // Escape closes it unless a dialog or a menu is open above it.
  useLayer(true, props.onClose);

  // An edit ends when its reply goes (deleted here or by a moderator).
  const edited = replies.find((m) => m.id === editing.value);
  const gone = !edited || Boolean(edited.deleted);
  useEffect(() => {
    if (gone && editing.peek() !== null) cancel();
  }, [gone]);
  const edit = (id: number, text: string) => {
    const el = input.current;
    if (!el) return;
    editing.value = id;
    el.value = text;
    unsent.current = "";
    el.focus();
    el.setSelectionRange(text.length, text.length);
  };
  const cancel = () => {
    editing.value = null;
    if (input.current) input.current.value = unsent.current = "";
  };
  const send = () => {
    const el = input.current;
    const text = el?.value.trim() ?? "";
    if (!el || text === "") return;
    if (editing.value !== null) {
      // Not saved (offline): the edit stays open.
      if (
        text !== edited?.text && props.onEdit?.(editing.value, text) === false
      ) {
        return;
      }
      cancel();
      return;
    }
    props.onSend(text, alsoInRoom.value);
    el.value = unsent.current = "";
    alsoInRoom.value = false;
  };
  // A thread whose first message was deleted takes no more replies; what
  // was being written stays readable (and the focus, if in the box, goes
  // to the notice rather than to the top of the page).
  const closed = Boolean(root?.deleted);
  const notice = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const active = document.activeElement;
    if (closed && (active === null || active === document.body)) {
      notice.current?.focus();
    }
  }, [closed]);
  const canReply = props.canReply && !closed;
  const onEdit = props.onEdit && canReply ? edit : undefined;
  const count = root?.thread?.replies ?? replies.length;
  return (
    <aside class="thread-panel" id="thread" aria-label="Thread">
      <header class="thread-head">
        <h2>
          Thread <span class="thread-room">in {props.named}</span>
        </h2>
        <button
          type="button"
          class="icon"
          aria-label="Close thread"
          onClick={props.onClose}
        >
          ×
        </button>
      </header>
      <div class="thread-log" ref={log}>
        {root && (
          <MessageList
            items={[{ kind: "message", ...root }]}
            pending={[]}
            me={me}
            inThread
            canChange={() => false}
            extras={props.extras}
          />
        )}
        <p class="thread-count" aria-live="polite">
          {props.loading
            ? "Loading replies…"
            : `${count} ${count === 1 ? "reply" : "replies"}`}
        </p>
        {props.hasMore && (
          <button type="button" class="link older" onClick={props.onOlder}>
            Load older replies
          </button>
        )}
        <div class="thread-replies">
          <MessageList
            items={replies.map((m) => ({ kind: "message" as const, ...m }))}
            pending={props.pending}
            me={me}
            inThread
            onRetry={props.onRetry}
            onDiscard={props.onDiscard}
            onEdit={onEdit}
            onDelete={props.onDelete}
            messageBox={input}
            canChange={props.canChange}
            moderator={props.moderator}
            extras={props.extras}
          />
        </div>
      </div>
      {closed && (
        <div class="thread-closed" role="status" tabIndex={-1} ref={notice}>
          <p>
            The thread's first message was deleted: it takes no more replies
          </p>
          {unsent.current.trim() && (
            <textarea
              readOnly
              rows={2}
              aria-label="Your reply, not sent"
              value={unsent.current}
            />
          )}
        </div>
      )}
      {canReply && editing.value !== null && (
        <p class="editing-line">
          Editing your reply (Esc to cancel) ·{" "}
          <button type="button" class="link" onClick={cancel}>Cancel</button>
        </p>
      )}
      {canReply && (
        <form
          class="thread-composer"
          onSubmit={(e) => {
            e.preventDefault();
            send();
          }}
        >
          <textarea
            ref={input}
            id="thread-reply"
            rows={2}
            aria-label="Reply in thread"
            placeholder="Reply…"
            // A reply being written, not an edit of one sent before.
            onInput={(e) => {
              if (editing.peek() === null) {
                unsent.current = e.currentTarget.value;
              }
            }}
            onKeyDown={(e) => {
              if (e.key === "Escape" && editing.value !== null) {
                e.stopPropagation();
                cancel();
                return;
              }
              if (
                e.key === "ArrowUp" && onEdit && !e.currentTarget.value &&
                editing.value === null && !e.altKey
              ) {
                const last = replies.findLast((m) =>
                  m.user === me && !m.deleted && !m.file &&
                  (props.canChange?.(room, m.id) ?? true)
                );
                if (last) {
                  e.preventDefault();
                  edit(last.id, last.text);
                }
                return;
              }
              if (enterSends(e)) {
                e.preventDefault();
                send();
              }
            }}
          />
          {rootId !== undefined && (
            <UploadBar
              room={room}
              parent={rootId}
              pasteInto="thread-reply"
              alsoInRoom={() => alsoInRoom.peek()}
              onPosted={props.onPosted}
            />
          )}
          <div class="thread-send">
            <label hidden={editing.value !== null}>
              <input
                type="checkbox"
                checked={alsoInRoom.value}
                onChange={(e) =>
                  alsoInRoom.value = (e.target as HTMLInputElement).checked}
              />{" "}
              Also send to {props.named}
            </label>
            <button
              type="submit"
              class="button"
              // As the composer's Send: the focus, and a phone's keyboard, stay.
              onMouseDown={(e) => e.preventDefault()}
            >
              {editing.value === null ? "Reply" : "Save"}
            </button>
          </div>
        </form>
      )}
    </aside>
  );
}
