import type { VNode } from "preact";
import { type Signal, useSignal } from "@preact/signals";
import {
  QUICK_REACTIONS,
  type ReactionView,
  whoReacted,
} from "@/lib/client/reactions.ts";

/** Props of {@link Reactions}. */
export interface ReactionsProps {
  /** Message id, for labels. */
  id: number;
  /** The message's reactions and which are the reader's. */
  view: Signal<ReactionView>;
  /** Whether the reader may react (a member who joined the room). */
  canReact: boolean;
  /** Adds (`add`) or takes off the reader's `emoji`. */
  onReact: (emoji: string, add: boolean) => void;
  /** Whether the message is pinned. */
  pinned?: boolean;
  /** Pins or unpins the message; given to the room's moderators. */
  onPin?: (pin: boolean) => void;
}

/**
 * A message's reactions: one button per emoji with its count (pressed when
 * the reader's; a click toggles it), who reacted on hover or a long press
 * (the context menu a long touch opens), an "Add reaction" palette, and
 * Pin/Unpin for moderators.
 */
export function Reactions(props: ReactionsProps): VNode {
  const { list, mine } = props.view.value;
  const adding = useSignal(false);
  const who = useSignal("");
  return (
    <div
      class={`reactions${list.length ? "" : " none"}`}
      role="group"
      aria-label={`Reactions to message ${props.id}`}
      onPointerLeave={() => who.value = ""}
    >
      {list.map((r) => {
        const own = mine.has(r.emoji);
        const label = whoReacted(r);
        return (
          <button
            key={r.emoji}
            type="button"
            class={`reaction${own ? " mine" : ""}`}
            aria-pressed={own}
            title={label}
            disabled={!props.canReact}
            onPointerEnter={() => who.value = label}
            onContextMenu={(e) => {
              e.preventDefault();
              who.value = label;
            }}
            onClick={() => props.onReact(r.emoji, !own)}
          >
            {r.emoji} <span class="count">{r.count}</span>
          </button>
        );
      })}
      {who.value && <span class="who-reacted" role="tooltip">{who}</span>}
      {props.canReact && (
        <button
          type="button"
          class="add-reaction"
          aria-expanded={adding.value}
          aria-label={`Add a reaction to message ${props.id}`}
          onClick={() => adding.value = !adding.value}
        >
          ☺+
        </button>
      )}
      {adding.value && QUICK_REACTIONS.map((e) => (
        <button
          key={e}
          type="button"
          class="pick"
          aria-label={`React with ${e}`}
          onClick={() => {
            adding.value = false;
            props.onReact(e, !mine.has(e));
          }}
        >
          {e}
        </button>
      ))}
      {props.onPin && (
        <button
          type="button"
          class="link pin"
          onClick={() => props.onPin!(!props.pinned)}
        >
          {props.pinned ? "Unpin" : "Pin"}
        </button>
      )}
    </div>
  );
}
