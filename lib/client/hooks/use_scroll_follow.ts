/**
 * Scroll-follow for the message log. The log is laid out bottom-up
 * (`flex-direction: column-reverse`), so it opens at the newest message
 * before any script runs and stays there as lines arrive. `scrollTop` is 0
 * at the newest line and negative above it. (Chromium doesn't keep the
 * place when older history is added above: the page puts it back.)
 *
 * Two signals, as chat apps have: the reader is viewing older messages
 * (offer a jump to the present), and how many messages arrived below the
 * view (history pages, notices, membership events and one's own messages
 * don't count).
 *
 * @module
 */
import type { RefObject } from "preact";
import {
  type ReadonlySignal,
  type Signal,
  useComputed,
  useSignal,
} from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { Item } from "@/lib/client/chat_store.ts";

/** How close to an end (px) counts as being there. */
const NEAR_PX = 40;

/** What {@link useScrollFollow} gives the page. */
export interface ScrollFollow {
  /** Whether the log shows its newest line. */
  atBottom: Signal<boolean>;
  /** Messages by others that arrived below the view. */
  unseen: ReadonlySignal<number>;
  /** The log's scroll handler. */
  onScroll(): void;
  /** Scrolls to the newest line and follows from there. */
  toBottom(): void;
}

const lastId = (items: Item[]) => {
  const m = items.findLast((i) => i.kind === "message");
  return m?.kind === "message" ? m.id : 0;
};

/**
 * Follows the log in `ref` showing `items` of room `key` for reader `me`;
 * `extra` counts lines outside `items` (pending sends). Calls `onNearTop`
 * on each scroll event near the oldest line: it loads one page at a time.
 */
export function useScrollFollow(
  ref: RefObject<HTMLElement>,
  items: ReadonlySignal<Item[]>,
  me: ReadonlySignal<string>,
  key: string,
  extra: number,
  onNearTop: () => void,
): ScrollFollow {
  const atBottom = useSignal(true);
  /** The newest message id the reader has had on screen. */
  const seenId = useSignal(lastId(items.peek()));
  const unseen = useComputed(() => {
    // At the bottom, what arrives is seen (the mark catches up after the
    // render): nothing to offer.
    if (atBottom.value) return 0;
    const since = seenId.value;
    let n = 0;
    for (let i = items.value.length - 1; i >= 0; i--) {
      const it = items.value[i];
      if (it.kind !== "message") continue;
      if (it.id <= since) break;
      // Membership events are lines, not messages someone wrote.
      if (it.user !== me.value && !it.event) n++;
    }
    return n;
  });

  // A new room starts at its newest line.
  useEffect(() => {
    atBottom.value = true;
    seenId.value = lastId(items.peek());
    if (ref.current) ref.current.scrollTop = 0;
  }, [key]);
  // At the bottom, what arrives is seen; the layout keeps the view there.
  // Keyed on the newest id too: once a room's list is full, a new line
  // leaves its length as it was.
  const newest = lastId(items.value);
  const count = items.value.length + extra;
  useEffect(() => {
    if (atBottom.peek()) seenId.value = lastId(items.peek());
  }, [newest, count]);

  const toBottom = () => {
    const el = ref.current;
    if (el) el.scrollTop = 0;
    atBottom.value = true;
    seenId.value = lastId(items.peek());
  };
  return {
    atBottom,
    unseen,
    onScroll() {
      const el = ref.current;
      if (!el) return;
      atBottom.value = -el.scrollTop < NEAR_PX;
      if (atBottom.value) seenId.value = lastId(items.peek());
      if (el.scrollHeight - el.clientHeight + el.scrollTop < NEAR_PX) {
        onNearTop();
      }
    },
    toBottom,
  };
}
