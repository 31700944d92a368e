import type { VNode } from "preact";
import type { ReactionsProps } from "./Reactions.tsx";
import { roomExtras, wanted } from "./on_demand.ts";

/**
 * A message's {@link Reactions}, whose code loads on demand: once a message
 * on the page has reactions, or the reader points at or focuses the
 * messages (to add one). Until then it shows nothing.
 */
export function ReactionSlot(props: ReactionsProps): VNode | null {
  const needed = wanted.value || props.view.value.list.length > 0;
  const x = needed ? roomExtras() : null;
  return x && <x.Reactions {...props} />;
}
