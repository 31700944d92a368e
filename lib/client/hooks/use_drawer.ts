/**
 * The phone drawers (rooms, members): one open at a time, closed by Escape
 * (when no dialog or menu is open above it), by the backdrop or by their ×
 * button, with focus moved into the drawer on opening, kept there by Tab,
 * and back to its toggle on closing.
 *
 * @module
 */
import { type Signal, useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { useLayer } from "./use_layer.ts";
import { trapFocus } from "@/lib/client/focus_trap.ts";

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
    const drawer = current && document.getElementById(current);
    if (!drawer) return;
    drawer.querySelector<HTMLElement>(".drawer-close")?.focus();
    // The page behind stays in the tab order: keep Tab in the drawer.
    return trapFocus(drawer);
  }, [current]);
  // Escape closes it unless a dialog (say the directory, opened from the
  // rooms drawer) or a menu is open above it.
  useLayer(current !== null, close);
  return {
    open,
    close,
    toggle(which) {
      if (open.peek() === which) close();
      else open.value = which;
    },
  };
}
