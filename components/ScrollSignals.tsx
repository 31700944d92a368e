import type { VNode } from "preact";
import type { ScrollFollow } from "@/lib/client/hooks/use_scroll_follow.ts";

/**
 * Where the reader is in the log, as chat apps say it: "N new messages"
 * (from others, below the view) at the top, and "Viewing older messages ·
 * Jump to present" while scrolled up. Both lead back to the newest line.
 */
export function ScrollSignals({ follow }: { follow: ScrollFollow }): VNode {
  const unseen = follow.unseen.value;
  return (
    <>
      {unseen > 0 && (
        <button type="button" class="pill" onClick={follow.toBottom}>
          {unseen} new message{unseen > 1 ? "s" : ""} ↓
        </button>
      )}
      {!follow.atBottom.value && (
        // Anchored to the log's bottom edge, whatever is below it.
        <div class="jump-anchor">
          <p class="jump">
            Viewing older messages ·{" "}
            <button type="button" class="link" onClick={follow.toBottom}>
              Jump to present
            </button>
          </p>
        </div>
      )}
    </>
  );
}
