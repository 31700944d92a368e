/**
 * What Enter does in a message box (the composer, a thread's reply box):
 * with a keyboard it sends and Shift+Enter breaks the line; on a touch
 * screen, whose keyboard has no Shift+Enter to speak of, it breaks the line
 * and the box's button sends, as in other chat apps.
 *
 * @module
 */

/** Whether the main pointer is a finger. */
export function coarsePointer(): boolean {
  return typeof matchMedia === "function" &&
    matchMedia("(pointer: coarse)").matches;
}

/**
 * Whether the key pressed in a message box sends it: Enter, without Shift,
 * not while an input method composes, and not on a touch screen (`coarse`).
 */
export function enterSends(
  e: Pick<KeyboardEvent, "key" | "shiftKey" | "isComposing">,
  coarse: boolean = coarsePointer(),
): boolean {
  return e.key === "Enter" && !e.shiftKey && !e.isComposing && !coarse;
}
