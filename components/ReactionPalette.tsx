import type { VNode } from "preact";

/** The emoji offered by a message's "Add reaction" button. */
const QUICK_REACTIONS = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🚀", "👀"];

/** A message's "Add reaction" palette: a few common emoji. */
export function ReactionPalette(
  { onPick }: { onPick: (emoji: string) => void },
): VNode {
  return (
    <span class="palette" role="group" aria-label="Pick a reaction">
      {QUICK_REACTIONS.map((e) => (
        <button
          key={e}
          type="button"
          class="pick"
          aria-label={`React with ${e}`}
          onClick={() => onPick(e)}
        >
          {e}
        </button>
      ))}
    </span>
  );
}
