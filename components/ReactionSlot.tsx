import type { VNode } from "preact";
import { useSignal } from "@preact/signals";
import { useRef } from "preact/hooks";
import { useLayer } from "@/lib/client/hooks/use_layer.ts";
import type { Palette, ReactionsProps } from "./Reactions.tsx";
import { roomExtras, wanted } from "./on_demand.ts";

/**
 * A message's {@link Reactions}, whose code loads on demand: once a message
 * on the page has reactions, or the reader points at or focuses the
 * messages (to add one). Until then it shows nothing. The slot keeps the
 * "Add reaction" palette's state: a layer, whose stack is in the first
 * script (Escape closes it, the focus back on its ☺+; so does a press
 * outside).
 */
export function ReactionSlot(
  props: Omit<ReactionsProps, "palette">,
): VNode | null {
  const needed = wanted.value || props.view.value.list.length > 0;
  const x = needed ? roomExtras() : null;
  const palette: Palette = {
    open: useSignal(false),
    button: useRef(null),
    area: useRef(null),
    close(focus) {
      palette.open.value = false;
      if (focus) palette.button.current?.focus();
    },
  };
  useLayer(palette.open.value, palette.close, palette.area);
  return x && <x.Reactions {...props} palette={palette} />;
}
