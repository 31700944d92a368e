import type { ComponentChildren, RefObject, VNode } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import { useConfirm } from "@/lib/client/hooks/use_confirm.ts";
import { PureComponent } from "@/lib/client/pure_component.ts";
import type { Item } from "@/lib/client/chat_store.ts";
import { mentionsName } from "@/lib/shared/mentions.ts";
import type { Pending } from "@/lib/client/outbox.ts";
import { MessageText } from "./MessageText.tsx";
import { FileCard } from "./FileCard.tsx";
import { inTimeline } from "@/lib/client/thread_state.ts";

/** Messages from one sender within this long share one header. */
const GROUP_MS = 5 * 60_000;

/** Props of {@link MessageList}. */
export interface MessageListProps {
  /** The room's messages and notices, oldest first. */
  items: Item[];
  /** One's own messages not yet acknowledged, shown at the end. */
  pending: readonly Pending[];
  /** The reader's name, to set their messages and mentions apart. */
  me: string;
  /** Sends a refused message again. */
  onRetry?: (clientId: string) => void;
  /** Drops a refused message. */
  onDiscard?: (clientId: string) => void;
  /** Starts editing one's own message. */
  onEdit?: (id: number, text: string) => void;
  /**
   * Deletes a message, once confirmed (Delete, then "Really delete?"); the
   * focus, when in the message, moves on to a neighbour's first control.
   */
  onDelete?: (id: number) => void;
  /** Where the focus goes after a delete when no other message has a control. */
  messageBox?: RefObject<HTMLElement>;
  /** Removes a user from the room as its moderator, once confirmed. */
  onKick?: (user: string) => void;
  /** Whether one's own message may still be edited or deleted. */
  canChange?: (room: string, id: number) => boolean;
  /** Whether the reader moderates the room: deletes any message, removes users. */
  moderator?: boolean;
  /** The "New" divider goes above the first message after this id. */
  newAfter?: number | null;
  /**
   * Opens the thread of a message (its "Reply" action, its "N replies"
   * line); without it, no thread controls show.
   */
  onThread?: (id: number) => void;
  /**
   * Set when the list is a thread's (the side panel): replies all show and
   * carry no thread controls. Otherwise replies show only when also sent to
   * the room.
   */
  inThread?: boolean;
  /** What shows under a message that is not deleted (its reactions). */
  extras?: (message: Item & { kind: "message" }) => ComponentChildren;
}

/**
 * A room's messages: grouped by sender, with day separators, own messages
 * set apart, messages mentioning the reader highlighted, membership events
 * and notices as compact lines, a "New" divider above the first unread
 * message, and the sender's own pending or failed messages at the end.
 */
export function MessageList(
  {
    items,
    pending,
    me,
    onRetry,
    onDiscard,
    onEdit,
    onDelete,
    messageBox,
    onKick,
    canChange = () => true,
    moderator = false,
    newAfter = null,
    onThread,
    inThread = false,
    extras,
  }: MessageListProps,
): VNode {
  // A delete or removal asks once more, until the reader moves away.
  const confirmDelete = useConfirm<number>();
  const confirmKick = useConfirm<string>();
  const del = (id: number, button: HTMLElement) =>
    confirmDelete.press(id, () => {
      // The message's controls go: the focus, if there, must not drop to
      // <body> (where the next Tab starts from the top).
      const li = button.closest("li");
      if (li?.contains(document.activeElement)) {
        focusNear(li, messageBox?.current);
      }
      onDelete?.(id);
    });
  const kick = (user: string) => confirmKick.press(user, () => onKick?.(user));
  const leave = (id: number, user: string) => {
    confirmDelete.leave(id);
    confirmKick.leave(user);
  };
  // The message holding the focus. Deleted by someone else, it loses the
  // control that had it, and the browser drops the focus to <body>: it
  // goes to a neighbour instead, as after one's own delete.
  const focused = useRef<{ li: Element; control: Element } | null>(null);
  // What the rows call, kept current in one stable object: a row renders
  // again only when what it shows changes, not for every new callback.
  const on = useRef<RowHandlers>(null as unknown as RowHandlers);
  on.current = { del, kick, leave, onEdit, onThread, focused };
  useLayoutEffect(() => {
    const was = focused.current;
    // Only a control that went away: a click elsewhere leaves it in place.
    if (!was || was.control.isConnected || !was.li.isConnected) return;
    focused.current = null;
    const active = document.activeElement;
    if (active === null || active === document.body) {
      focusNear(was.li, messageBox?.current);
    }
  });
  const rows = [];
  let prev: Item | undefined;
  const divideAfter = newAfter ?? Infinity;
  let divided = false;
  for (const item of items) {
    // A reply lives in its thread's panel unless also sent to the room.
    if (item.kind === "message" && !inThread && !inTimeline(item)) continue;
    // Above the first unread message someone wrote (not a membership event).
    if (
      !divided && item.kind === "message" && !item.event &&
      item.id > divideAfter
    ) {
      divided = true;
      rows.push(
        <li key="new" class="new-divider" id="new-divider">
          <span>New</span>
        </li>,
      );
    }
    if (!prev || dayKey(prev.ts) !== dayKey(item.ts)) {
      rows.push(
        <li
          key={`day-${dayKey(item.ts)}-${item.ts}`}
          class="day"
        >
          <span>{formatDay(item.ts)}</span>
        </li>,
      );
    }
    if (item.kind === "notice") {
      rows.push(<li key={item.key} class="notice">{item.text}</li>);
    } else if (item.event) {
      rows.push(
        <li key={item.id} class="notice event" data-id={item.id}>
          {item.text} <Time ts={item.ts} />
        </li>,
      );
    } else {
      const grouped = prev?.kind === "message" && !prev.event &&
        prev.user === item.user &&
        item.ts - prev.ts < GROUP_MS && dayKey(prev.ts) === dayKey(item.ts);
      const own = item.user === me;
      const mine = own && canChange(item.room, item.id);
      const mentioned = !own && me !== "" && !item.deleted &&
        mentions(item, me);
      const threads = onThread !== undefined && !inThread;
      rows.push(
        <MessageRow
          key={item.id}
          item={item}
          me={me}
          grouped={grouped}
          own={own}
          mine={mine}
          mentioned={mentioned}
          threads={threads}
          moderator={moderator}
          armedDelete={confirmDelete.armed.value === item.id}
          armedKick={confirmKick.armed.value === item.user}
          extras={extras}
          on={on}
        />,
      );
    }
    prev = item;
  }
  for (const p of pending) {
    rows.push(
      <li
        key={p.clientId}
        class={`msg own ${p.error ? "failed" : "pending"}`}
        data-client-id={p.clientId}
      >
        <div class="text">
          <MessageText text={p.text} me={me} />
        </div>
        <div class="status">
          {p.error
            ? (
              <>
                <span role="alert">Not sent: {p.error}</span>{" "}
                <button
                  type="button"
                  class="link"
                  onClick={() => onRetry?.(p.clientId)}
                >
                  Retry
                </button>{" "}
                <button
                  type="button"
                  class="link"
                  onClick={() => onDiscard?.(p.clientId)}
                >
                  Discard
                </button>
              </>
            )
            : <span>Sending…</span>}
        </div>
      </li>,
    );
  }
  return <ol class="messages">{rows}</ol>;
}

/** What a message row calls; the object stays, its fields are kept current. */
interface RowHandlers {
  del(id: number, button: HTMLElement): void;
  kick(user: string): void;
  leave(id: number, user: string): void;
  onEdit?: (id: number, text: string) => void;
  onThread?: (id: number) => void;
  focused: { current: { li: Element; control: Element } | null };
}

/** Props of {@link MessageRow}: what one message row shows. */
interface RowProps {
  item: Item & { kind: "message" };
  me: string;
  grouped: boolean;
  own: boolean;
  /** One's own message that may still be edited or deleted. */
  mine: boolean;
  mentioned: boolean;
  /** Thread controls show. */
  threads: boolean;
  moderator: boolean;
  armedDelete: boolean;
  armedKick: boolean;
  extras?: (message: Item & { kind: "message" }) => ComponentChildren;
  on: RefObject<RowHandlers>;
}

/**
 * One message. It renders again only when one of its props changes (a new
 * message, a typing line or a presence change elsewhere on the page leaves
 * it be): a busy room's list of hundreds stays cheap to update.
 */
class MessageRow extends PureComponent<RowProps> {
  override render(): VNode {
    const {
      item,
      me,
      grouped,
      own,
      mine,
      mentioned,
      threads,
      moderator,
      armedDelete,
      armedKick,
      extras,
    } = this.props;
    const on = () => this.props.on.current!;
    const canReply = threads && item.parent === undefined &&
      !item.deleted && !item.event;
    return (
      <li
        class={`msg${own ? " own" : ""}${grouped ? " grouped" : ""}${
          item.deleted ? " deleted" : ""
        }${mentioned ? " mentions-me" : ""}`}
        data-id={item.id}
        // A finger's pointer leaves at every lift: only a mouse's counts.
        onPointerLeave={(e) => {
          if (e.pointerType === "mouse") on().leave(item.id, item.user);
        }}
        onFocusIn={(e) =>
          on().focused.current = {
            li: e.currentTarget,
            control: e.target as Element,
          }}
        onFocusOut={(e) => {
          const to = e.relatedTarget as Node | null;
          if (e.currentTarget.contains(to)) return;
          on().leave(item.id, item.user);
          // Gone elsewhere (a click on text or blank space too: the control
          // is still there once the event is over): nothing to bring back
          // should this message go.
          const focused = on().focused;
          const was = focused.current;
          if (to !== null) focused.current = null;
          else {
            queueMicrotask(() => {
              if (was?.control.isConnected && focused.current === was) {
                focused.current = null;
              }
            });
          }
        }}
        // Escape takes back a "Really …?" (and nothing else with it).
        onKeyDown={(e) => {
          if (e.key !== "Escape" || (!armedDelete && !armedKick)) return;
          e.preventDefault();
          e.stopPropagation();
          on().leave(item.id, item.user);
        }}
      >
        {grouped
          ? <span class="sr-only">{item.user}:</span>
          : (
            <div class="meta">
              <bdi class="user">{item.user}</bdi>
              {item.guest && <span class="tag">guest</span>}{" "}
              <Time ts={item.ts} />
            </div>
          )}
        <div class="text">
          <span class="body">
            {item.deleted
              ? <em>Message deleted</em>
              // A file's message says its name, which its card shows.
              : item.file?.name === item.text
              ? null
              : <MessageText text={item.text} me={me} />}
          </span>
          {item.file && !item.deleted && <FileCard file={item.file} />}
          {item.edited && !item.deleted && <span class="edited">(edited)</span>}
          {own && !item.deleted && (
            <span class="sent" title="Sent">
              <span aria-hidden="true">✓</span>
              <span class="sr-only">Sent</span>
            </span>
          )}
        </div>
        {threads && item.parent !== undefined && (
          <button
            type="button"
            class="link in-thread"
            onClick={() => on().onThread?.(item.parent!)}
          >
            Replied in a thread
          </button>
        )}
        {threads && item.thread && item.thread.replies > 0 && (
          <button
            type="button"
            class="thread-summary"
            onClick={() => on().onThread?.(item.id)}
          >
            <strong class="count">
              {item.thread.replies}{" "}
              {item.thread.replies === 1 ? "reply" : "replies"}
            </strong>{" "}
            <bdi class="repliers">{item.thread.users.join(", ")}</bdi>{" "}
            <span class="last">
              last reply <Time ts={item.thread.lastTs} />
            </span>
          </button>
        )}
        {!item.deleted && extras?.(item)}
        {!item.deleted && (mine || moderator || canReply) && (
          <div
            class="actions"
            role="group"
            aria-label={`Message ${item.id} by ${item.user}`}
          >
            {canReply && (
              <button
                type="button"
                class="link reply"
                onClick={() => on().onThread?.(item.id)}
              >
                Reply<span class="sr-only">
                  in a thread to message {item.id}
                </span>
              </button>
            )}
            {
              // A file's message is its file: nothing to edit (its text,
              // the file's name, is for text-only clients).
              mine && on().onEdit && !item.file && (
                <button
                  type="button"
                  class="link"
                  onClick={() => on().onEdit?.(item.id, item.text)}
                >
                  Edit<span class="sr-only">message {item.id}</span>
                </button>
              )
            }
            {(mine || moderator) && (
              <button
                type="button"
                class="link"
                onClick={(e) => on().del(item.id, e.currentTarget)}
              >
                {armedDelete ? "Really delete?" : "Delete"}
                <span class="sr-only">message {item.id}</span>
              </button>
            )}
            {moderator && !own && (
              <button
                type="button"
                class="link"
                onClick={() => on().kick(item.user)}
              >
                {armedKick
                  ? `Really remove ${item.user}?`
                  : `Remove ${item.user}`}
                <span class="sr-only">from the room</span>
              </button>
            )}
          </div>
        )}
      </li>
    );
  }
}

/**
 * Formatters made once: `toLocaleString` and its kin build a new one at
 * every call, which a busy room's list paid for every message it showed.
 */
let formats:
  | {
    time: Intl.DateTimeFormat;
    full: Intl.DateTimeFormat;
    day: Intl.DateTimeFormat;
  }
  | undefined;

function format() {
  return formats ??= {
    time: new Intl.DateTimeFormat(undefined, {
      hour: "numeric",
      minute: "2-digit",
    }),
    full: new Intl.DateTimeFormat(undefined, {
      dateStyle: "short",
      timeStyle: "medium",
    }),
    day: new Intl.DateTimeFormat(undefined, {
      weekday: "long",
      year: "numeric",
      month: "long",
      day: "numeric",
    }),
  };
}

/** A message time: hours and minutes, the full date on hover. */
function Time({ ts }: { ts: number }) {
  const f = format();
  return (
    <time dateTime={new Date(ts).toISOString()} title={f.full.format(ts)}>
      {f.time.format(ts)}
    </time>
  );
}

/** What can take the focus in a message. */
const CONTROLS =
  "a[href], button:not(:disabled), input, textarea, [tabindex]:not([tabindex='-1'])";

/**
 * Focuses the first control of the nearest message after `li` that has one,
 * else of the nearest before it, else `fallback`.
 */
function focusNear(li: Element, fallback?: HTMLElement | null): void {
  for (
    const step of ["nextElementSibling", "previousElementSibling"] as const
  ) {
    for (let n = li[step]; n; n = n[step]) {
      const control = n.querySelector<HTMLElement>(CONTROLS);
      if (control) return control.focus();
    }
  }
  fallback?.focus();
}

/** Whether each message, as last asked, names the reader (asked once per message). */
const mentionsSeen = new WeakMap<object, { me: string; yes: boolean }>();

function mentions(item: Item & { kind: "message" }, me: string): boolean {
  const seen = mentionsSeen.get(item);
  if (seen?.me === me) return seen.yes;
  const yes = mentionsName(item.text, me);
  mentionsSeen.set(item, { me, yes });
  return yes;
}

function dayKey(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

function formatDay(ts: number): string {
  return format().day.format(ts);
}
