/**
 * A dismissible layer (drawer, side panel, menu, palette) that Escape closes
 * when it is the top-most one open; see `lib/client/layers.ts`.
 *
 * @module
 */
import type { RefObject } from "preact";
import { useEffect, useRef } from "preact/hooks";
import {
  closeTopLayer,
  escapeForLayers,
  pushLayer,
} from "@/lib/client/layers.ts";

let listening = false;

/** Adds the one document listener that serves every layer, once. */
export function listenForEscape(): void {
  if (listening) return;
  listening = true;
  document.addEventListener("keydown", (e) => {
    if (escapeForLayers(e) && closeTopLayer()) e.preventDefault();
  });
}

/**
 * While `open`, the caller is a layer on top of those opened before it, and
 * Escape calls `close(true)` (the latest `close` given) when nothing above it
 * is open. With `inside`, a press (mouse, pen or finger) outside that element
 * closes it too, as `close(false)`: the focus stays where the press put it.
 */
export function useLayer(
  open: boolean,
  close: (byEscape: boolean) => void,
  inside?: RefObject<Element>,
): void {
  const latest = useRef(close);
  latest.current = close;
  useEffect(() => {
    if (!open) return;
    listenForEscape();
    const pop = pushLayer(() => latest.current(true));
    if (!inside) return pop;
    // Captured, so a press outside closes it whatever handles the press.
    const down = (e: PointerEvent) => {
      if (!inside.current?.contains(e.target as Node)) latest.current(false);
    };
    addEventListener("pointerdown", down, true);
    return () => {
      pop();
      removeEventListener("pointerdown", down, true);
    };
  }, [open]);
}
