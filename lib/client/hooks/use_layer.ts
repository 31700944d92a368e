/**
 * A dismissible layer (drawer, side panel, menu) that Escape closes when it
 * is the top-most one open; see `lib/client/layers.ts`.
 *
 * @module
 */
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
 * Escape calls `close` (the latest one given) when nothing above it is open.
 */
export function useLayer(open: boolean, close: () => void): void {
  const latest = useRef(close);
  latest.current = close;
  useEffect(() => {
    if (!open) return;
    listenForEscape();
    return pushLayer(() => latest.current());
  }, [open]);
}
