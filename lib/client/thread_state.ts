/**
 * The thread open in the side panel, as signals: its first message with
 * the summary, its replies oldest first, kept live from the room's
 * `message`, `edited` and `deleted` frames; plus the rules the room's
 * timeline follows for replies (a reply shows there only when also sent to
 * the room; a first message's summary counts each reply once).
 *
 * @module
 */
import { batch, type Signal, signal } from "@preact/signals";
import type {
  ChatMessage,
  ServerFrame,
  ThreadSummary,
} from "@/lib/shared/protocol.ts";

/** Most repliers a summary names, as the server keeps it. */
const SUMMARY_USERS = 5;

/** Which thread is open: its room and first message. */
export interface OpenThread {
  /** The room. */
  room: string;
  /** The id of the thread's first message. */
  id: number;
}

/**
 * `parent` with `reply` counted in its summary; unchanged when the summary
 * counts it already (its id is not newer than the summary's newest), so a
 * replayed reply is never counted twice.
 */
export function withReply<T extends ChatMessage>(
  parent: T,
  reply: ChatMessage,
): T {
  const before: ThreadSummary | undefined = parent.thread;
  if (before && reply.id <= before.lastId) return parent;
  // A reply deleted before it came is not counted (the server's summary
  // doesn't count it either).
  if (reply.deleted) return parent;
  const others = (before?.users ?? []).filter((u) => u !== reply.user);
  return {
    ...parent,
    thread: {
      replies: (before?.replies ?? 0) + 1,
      lastId: reply.id,
      lastTs: reply.ts,
      users: [reply.user, ...others].slice(0, SUMMARY_USERS),
    },
  };
}

/**
 * `parent` once one of its replies was deleted: the summary the deletion
 * brought (`after`, as stored then), unless this page knows of newer
 * replies than it counts; then one fewer than before.
 */
export function withoutReply<T extends ChatMessage>(
  parent: T,
  after: ThreadSummary | undefined,
): T {
  const before = parent.thread;
  if (after && (!before || after.lastId >= before.lastId)) {
    return { ...parent, thread: after };
  }
  if (!before) return parent;
  return {
    ...parent,
    thread: { ...before, replies: Math.max(0, before.replies - 1) },
  };
}

/** Whether a message shows in its room's timeline (a reply only if also sent there). */
export function inTimeline(m: ChatMessage): boolean {
  return m.parent === undefined || m.alsoInRoom === true;
}

/**
 * Whether `name` takes part in the thread of `parent` as far as this page
 * knows: it wrote the first message or is among the repliers named.
 */
export function takesPart(parent: ChatMessage, name: string): boolean {
  return parent.user === name || (parent.thread?.users.includes(name) ?? false);
}

/** The thread in the side panel. */
export class ThreadState {
  /** The open thread, or null. */
  readonly open: Signal<OpenThread | null> = signal<OpenThread | null>(null);
  /** Its first message, once known. */
  readonly root: Signal<ChatMessage | null> = signal<ChatMessage | null>(null);
  /** Its replies, oldest first. */
  readonly replies: Signal<ChatMessage[]> = signal<ChatMessage[]>([]);
  /** Whether older replies exist before the first shown. */
  readonly hasMore: Signal<boolean> = signal(false);
  /** Whether the first page is awaited. */
  readonly loading: Signal<boolean> = signal(false);

  /** Opens the thread of `id` in `room`, showing `root` until the server answers. */
  show(room: string, id: number, root: ChatMessage | null = null): void {
    batch(() => {
      this.open.value = { room, id };
      this.root.value = root;
      this.replies.value = [];
      this.hasMore.value = false;
      this.loading.value = true;
    });
  }

  /** Closes the panel. */
  close(): void {
    batch(() => {
      this.open.value = null;
      this.root.value = null;
      this.replies.value = [];
      this.loading.value = false;
    });
  }

  /** The reply id to ask older replies before, when there are more. */
  olderBefore(): number | undefined {
    const first = this.replies.peek()[0];
    return this.hasMore.peek() && first ? first.id : undefined;
  }

  /** Applies a server frame concerning the open thread. */
  apply(frame: ServerFrame): void {
    const open = this.open.peek();
    if (!open || !("room" in frame) || frame.room !== open.room) return;
    switch (frame.type) {
      case "thread": {
        if (frame.id !== open.id) return;
        // The first page, or an older one: `hasMore` is about what is before it.
        batch(() => {
          this.root.value = frame.root;
          this.replies.value = merge(this.replies.peek(), frame.replies);
          this.hasMore.value = frame.hasMore;
          this.loading.value = false;
        });
        return;
      }
      case "message": {
        const root = this.root.peek();
        if (frame.id === open.id && root === null) {
          this.root.value = frame;
          return;
        }
        if (frame.parent !== open.id) return;
        batch(() => {
          this.replies.value = merge(this.replies.peek(), [frame]);
          const r = this.root.peek();
          if (r) this.root.value = withReply(r, frame);
        });
        return;
      }
      case "edited":
      case "deleted": {
        const change = (m: ChatMessage): ChatMessage =>
          m.id !== frame.id
            ? m
            : frame.type === "edited"
            ? { ...m, text: frame.text, edited: true }
            : { ...m, text: "", deleted: true };
        batch(() => {
          const r = this.root.peek();
          if (r) {
            this.root.value = frame.type === "deleted" && frame.parent === r.id
              ? withoutReply(r, frame.thread)
              : change(r);
          }
          this.replies.value = this.replies.peek().map(change);
        });
        return;
      }
    }
  }
}

/** `a` and `b` by id, each once, oldest first. */
function merge(a: ChatMessage[], b: ChatMessage[]): ChatMessage[] {
  const byId = new Map<number, ChatMessage>();
  for (const m of [...a, ...b]) byId.set(m.id, m);
  return [...byId.values()].sort((x, y) => x.id - y.id);
}
