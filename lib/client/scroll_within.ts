/**
 * Scrolls an element into view inside its own scrolling box only.
 * `scrollIntoView` scrolls every box around it, the page too: a chat's
 * header could slide out of view when a message was jumped to.
 *
 * @module
 */

/** Where `el` lands in its box: at its top edge, or in its middle. */
export type Block = "start" | "center";

/** The nearest box around `el` that scrolls vertically, if any. */
export function scrollParent(el: Element): HTMLElement | null {
  for (let p = el.parentElement; p; p = p.parentElement) {
    const { overflowY } = getComputedStyle(p);
    if (overflowY === "auto" || overflowY === "scroll") return p;
  }
  return null;
}

/** Scrolls `el`'s own scrolling box (only it) so `el` is at `block`. */
export function scrollWithin(el: Element, block: Block = "center"): void {
  const box = scrollParent(el);
  if (!box) return;
  const b = box.getBoundingClientRect();
  const r = el.getBoundingClientRect();
  box.scrollTop += block === "start"
    ? r.top - b.top
    : r.top + r.height / 2 - (b.top + b.height / 2);
}
