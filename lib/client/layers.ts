/**
 * The page's dismissible layers (a drawer, the thread panel, a menu) in the
 * order they opened: Escape closes only the top-most one. Modal dialogs
 * close themselves and sit above every layer; an Escape something else
 * already handled (a picker, a completion list, an edit being cancelled)
 * closes nothing here.
 *
 * @module
 */

/** How each open layer closes, the top-most last. */
const open: (() => void)[] = [];

/**
 * Adds a layer on top, known by how it closes; returns what removes it
 * again (when it closes by other means, or unmounts).
 */
export function pushLayer(close: () => void): () => void {
  const entry = () => close();
  open.push(entry);
  return () => {
    const at = open.indexOf(entry);
    if (at >= 0) open.splice(at, 1);
  };
}

/** Closes the top-most layer, if any; whether one was closed. */
export function closeTopLayer(): boolean {
  const top = open.pop();
  top?.();
  return top !== undefined;
}

/**
 * Whether an Escape press is the layers' to act on: not already handled, not
 * while composing text, and with no modal dialog open (it closes itself).
 */
export function escapeForLayers(e: KeyboardEvent): boolean {
  return e.key === "Escape" && !e.defaultPrevented && !e.isComposing &&
    !document.querySelector("dialog[open]");
}

/**
 * Gives the focus back to `opener`, what had it when a layer opened; when
 * that is hidden now (an entry of a menu that has closed since), to its
 * menu's button.
 */
export function focusBack(opener: Element | null): void {
  if (!(opener instanceof HTMLElement) || !opener.isConnected) return;
  // `checkVisibility` is recent (Safari 17.4); a hidden element has no box.
  const visible = opener.checkVisibility?.() ??
    opener.getClientRects().length > 0;
  const to = visible
    ? opener
    : opener.closest("details")?.querySelector("summary");
  to?.focus();
}
