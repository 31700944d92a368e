/**
 * The phone drawers (rooms, members): one open at a time, closed by Escape,
 * by the backdrop or by their × button, with focus moved into the drawer
 * on opening and back to its toggle on closing.
 *
 * @module
 */
import { type Signal, useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";

/** Which drawer is open. */
export type Drawer = "rooms" | "members" | null;

/** What {@link useDrawer} gives the page. */
export interface DrawerHandle {
  /** The open drawer. */
  open: Signal<Drawer>;
  /** Opens `which`, or closes it when open. */
  toggle(which: Exclude<Drawer, null>): void;
  /** Closes the open drawer and gives focus back to its toggle. */
  close(): void;
}

/** The drawers' state, with Escape and focus handling. */
export function useDrawer(): DrawerHandle {
  const open = useSignal<Drawer>(null);
  const close = () => {
    const was = open.peek();
    if (!was) return;
    open.value = null;
    document.querySelector<HTMLElement>(`[aria-controls="${was}"]`)?.focus();
  };
  const current = open.value;
  useEffect(() => {
    if (!current) return;
    document.querySelector<HTMLElement>(`#${current} .drawer-close`)?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") close();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [current]);
  return {
    open,
    close,
    toggle(which) {
      if (open.peek() === which) close();
      else open.value = which;
    },
  };
}
