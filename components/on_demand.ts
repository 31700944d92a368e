/**
 * On-demand modules for the room page: code it needs only once someone
 * asks (a dialog opened, reactions shown) is split off its first script and
 * loaded by dynamic import on first use.
 *
 * @module
 */
import { type Signal, signal } from "@preact/signals";

/**
 * A getter for the module `load` brings: the module once it is here, else
 * null (starting the load); reading it in a render subscribes to a signal,
 * so the component renders again when the module arrives. A failed load
 * (offline) is tried again on the next use.
 *
 * @example
 * ```ts
 * const dialogs = lazy(() => import("./Dialogs.tsx"));
 * const d = dialogs(); // null at first, then the module
 * ```
 */
export function lazy<M>(load: () => Promise<M>): () => M | null {
  const loaded = signal<M | null>(null);
  let loading: Promise<void> | null = null;
  return () => {
    loading ??= load().then((m) => {
      loaded.value = m;
    }, () => {
      loading = null;
    });
    return loaded.value;
  };
}

/**
 * Reactions, pins and the topic field (`RoomExtras.tsx`), or null while
 * they load. The page asks as soon as a message it shows has reactions, or
 * the reader points at or focuses the messages ({@link wanted}).
 */
export const roomExtras: () => typeof import("./RoomExtras.tsx") | null = lazy(
  () => import("./RoomExtras.tsx"),
);

/** Set once the reader points at or focuses the messages: the extras load. */
export const wanted: Signal<boolean> = signal(false);

/**
 * The room switcher, the directory, search and shortcut dialogs, the
 * guest's name dialog and the notice that the name was taken, or null while
 * they load.
 */
export const dialogs: () => typeof import("./Dialogs.tsx") | null = lazy(
  () => import("./Dialogs.tsx"),
);
