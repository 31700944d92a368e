import type { VNode } from "preact";
import { type Signal, useSignal } from "@preact/signals";
import { useRef } from "preact/hooks";
import {
  QUICK_REACTIONS,
  type ReactionView,
  whoReacted,
} from "@/lib/client/reactions.ts";

/** How long a touch must rest on a reaction to show who reacted. */
const LONG_PRESS_MS = 500;

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
 * the reader's; a click toggles it), who reacted on hover or a long press,
 * an "Add reaction" palette, and Pin/Unpin for moderators.
 */
export function Reactions(props: ReactionsProps): VNode | null {
  const { list, mine } = props.view.value;
  const adding = useSignal(false);
  const who = useSignal<string | null>(null);
  const press = useRef<ReturnType<typeof setTimeout> | null>(null);
  const held = useRef(false);
  if (list.length === 0 && !props.canReact && !props.onPin) return null;
  return (
    <div
      class={`reactions${list.length === 0 ? " none" : ""}`}
      role="group"
      aria-label={`Reactions to message ${props.id}`}
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
            aria-label={`${label}${own ? " (you)" : ""}`}
            title={label}
            disabled={!props.canReact}
            onPointerEnter={(e) => {
              if (e.pointerType === "mouse") who.value = label;
            }}
            onPointerLeave={() => {
              if (press.current) clearTimeout(press.current);
              if (!held.current) who.value = null;
            }}
            onPointerDown={(e) => {
              if (e.pointerType === "mouse") return;
              held.current = false;
              press.current = setTimeout(() => {
                held.current = true;
                who.value = label;
              }, LONG_PRESS_MS);
            }}
            onPointerUp={() => {
              if (press.current) clearTimeout(press.current);
            }}
            onContextMenu={(e) => {
              // A long press shows names; it opens no menu.
              if (held.current) e.preventDefault();
            }}
            onClick={() => {
              if (held.current) {
                held.current = false;
                return;
              }
              props.onReact(r.emoji, !own);
            }}
          >
            <span class="emoji" aria-hidden="true">{r.emoji}</span>
            <span class="count" aria-hidden="true">{r.count}</span>
          </button>
        );
      })}
      {who.value && <span class="who-reacted" role="tooltip">{who.value}</span>}
      {props.canReact && (
        <button
          type="button"
          class="add-reaction"
          aria-expanded={adding.value}
          aria-label={`Add a reaction to message ${props.id}`}
          title="Add a reaction"
          onClick={() => adding.value = !adding.value}
        >
          <span aria-hidden="true">☺+</span>
        </button>
      )}
      {adding.value && (
        <span class="palette" role="group" aria-label="Pick a reaction">
          {QUICK_REACTIONS.map((e) => (
            <button
              key={e}
              type="button"
              aria-label={`React with ${e}`}
              onClick={() => {
                adding.value = false;
                props.onReact(e, !mine.has(e));
              }}
            >
              {e}
            </button>
          ))}
        </span>
      )}
      {props.onPin && (
        <button
          type="button"
          class="link pin"
          onClick={() => props.onPin?.(!props.pinned)}
        >
          {props.pinned ? "Unpin" : "Pin"}
          <span class="sr-only">message {props.id}</span>
        </button>
      )}
    </div>
  );
}
