/**
 * An action that asks once more ("Really delete?"): the first press arms
 * it, a second press on the same thing acts. It disarms by itself after a
 * few seconds, and when the reader moves away, so a press much later, or
 * one meant for something else, never acts at once.
 *
 * @module
 */
import { type Signal, useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";

/** How long an armed action waits for its second press. */
export const CONFIRM_MS = 5000;

/** What {@link useConfirm} gives a component; `K` names what is acted on. */
export interface Confirm<K> {
  /** What is armed, if anything. */
  armed: Signal<K | null>;
  /** A press on `key`'s button: arms it, or, when armed, disarms and acts. */
  press(key: K, act: () => void): void;
  /** The reader moved away from `key`: it is disarmed. */
  leave(key: K): void;
}

/** An action asking once more, disarmed after `ms` or on {@link Confirm.leave}. */
export function useConfirm<K>(ms: number = CONFIRM_MS): Confirm<K> {
  const armed = useSignal<K | null>(null);
  const now = armed.value;
  useEffect(() => {
    if (now === null) return;
    const timer = setTimeout(() => armed.value = null, ms);
    return () => clearTimeout(timer);
  }, [now]);
  return {
    armed,
    press(key, act) {
      if (armed.peek() === key) {
        armed.value = null;
        act();
      } else armed.value = key;
    },
    leave(key) {
      if (armed.peek() === key) armed.value = null;
    },
  };
}
