/**
 * Scroll-follow for the message log: stays at the newest message while the
 * reader is there, offers a way down when they are not, and asks for older
 * history near the top.
 *
 * @module
 */
import { type Signal, useSignal } from "@preact/signals";
import type { RefObject } from "preact";
import { useEffect } from "preact/hooks";

/** How close to an end (px) counts as being there. */
const NEAR_PX = 40;

/** What {@link useScrollFollow} gives the page. */
export interface ScrollFollow {
  /** Whether the log shows its newest line. */
  atBottom: Signal<boolean>;
  /** Whether lines arrived below the view. */
  newBelow: Signal<boolean>;
  /** The log's scroll handler. */
  onScroll(): void;
  /** Scrolls to the newest line and follows from there. */
  toBottom(): void;
}

/**
 * Follows the log in `ref` as `count` (lines shown) or `key` (the room)
 * change; calls `onNearTop` when the reader nears the oldest line.
 */
export function useScrollFollow(
  ref: RefObject<HTMLElement>,
  count: number,
  key: string,
  onNearTop: () => void,
): ScrollFollow {
  const atBottom = useSignal(true);
  const newBelow = useSignal(false);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (atBottom.value) el.scrollTop = el.scrollHeight;
    else newBelow.value = true;
  }, [count, key]);

  return {
    atBottom,
    newBelow,
    onScroll() {
      const el = ref.current;
      if (!el) return;
      atBottom.value = el.scrollHeight - el.scrollTop - el.clientHeight <
        NEAR_PX;
      if (atBottom.value) newBelow.value = false;
      if (el.scrollTop < NEAR_PX) onNearTop();
    },
    toBottom() {
      const el = ref.current;
      if (el) el.scrollTop = el.scrollHeight;
      atBottom.value = true;
      newBelow.value = false;
    },
  };
}
