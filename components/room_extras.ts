/**
 * Loads `RoomExtras.tsx` on first use: {@link roomExtras} answers the module
 * once it is here, or null (starting the load); a signal re-renders whoever
 * asked when it arrives. The page asks as soon as a message it shows has
 * reactions, or the reader points at or focuses the messages
 * ({@link wanted}).
 *
 * @module
 */
import { type Signal, signal } from "@preact/signals";

type Extras = typeof import("./RoomExtras.tsx");

const loaded = signal<Extras | null>(null);
let loading: Promise<void> | null = null;

/** The on-demand room components, or null while they load. */
export function roomExtras(): Extras | null {
  loading ??= import("./RoomExtras.tsx").then((m) => {
    loaded.value = m;
  }, () => {
    // Offline: the next use tries again.
    loading = null;
  });
  return loaded.value;
}

/** Set once the reader points at or focuses the messages: the extras load. */
export const wanted: Signal<boolean> = signal(false);
