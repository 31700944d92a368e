/**
 * Keeps Tab and Shift+Tab among an element's own controls, as a modal
 * dialog does for itself: for drawers, which sit over a page that is still
 * in the tab order behind them.
 *
 * @module
 */

const FOCUSABLE = [
  "a[href]",
  "button:not([disabled])",
  "input:not([disabled]):not([type=hidden])",
  "select:not([disabled])",
  "textarea:not([disabled])",
  "summary",
  "[tabindex]:not([tabindex='-1'])",
].join(",");

/** The controls of `root` that Tab reaches, in document order. */
export function tabStops(root: Element): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) =>
    el.getClientRects().length > 0
  );
}

/**
 * Traps Tab inside `root` until the returned function is called: from its
 * last control Tab goes to its first, from its first Shift+Tab to its last,
 * and from anywhere outside it back in. A modal dialog above it keeps its
 * own Tab order.
 */
export function trapFocus(root: Element): () => void {
  const keep = (e: KeyboardEvent) => {
    if (e.key !== "Tab" || document.querySelector("dialog[open]")) return;
    const stops = tabStops(root);
    if (stops.length === 0) return;
    const first = stops[0];
    const last = stops[stops.length - 1];
    const at = document.activeElement;
    let to: HTMLElement | undefined;
    if (!root.contains(at)) to = e.shiftKey ? last : first;
    else if (e.shiftKey && at === first) to = last;
    else if (!e.shiftKey && at === last) to = first;
    if (!to) return;
    e.preventDefault();
    to.focus();
  };
  document.addEventListener("keydown", keep);
  return () => document.removeEventListener("keydown", keep);
}
