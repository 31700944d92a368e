import type { VNode } from "preact";
import { type Signal, useSignal } from "@preact/signals";
import type { ReactionView } from "@/lib/client/reactions.ts";
import type { ClientFrame } from "@/lib/shared/protocol.ts";
import { whoReacted } from "@/lib/client/who_reacted.ts";
import { ReactionPalette } from "./ReactionPalette.tsx";

/** Props of {@link Reactions}. */
export interface ReactionsProps {
  /** The message's room. */
  room: string;
  /** The message's id. */
  id: number;
  /** The message's reactions and which are the reader's. */
  view: Signal<ReactionView>;
  /** Whether the reader may react (a member who joined the room). */
  canReact: boolean;
  /** Whether the message is pinned. */
  pinned: boolean;
  /** Whether the reader moderates the room: Pin/Unpin show. */
  moderator: boolean;
  /** Sends a frame (`react`, `unreact`, `pin`, `unpin`) to the server. */
  send: (frame: ClientFrame) => void;
}

/**
 * A message's reactions: one button per emoji with its count (pressed when
 * the reader's; a click toggles it), who reacted on hover or a long press
 * (the context menu a long touch opens), an "Add reaction" palette, and
 * Pin/Unpin for moderators.
 */
export function Reactions(props: ReactionsProps): VNode {
  const { room, id, send } = props;
  const { list, mine } = props.view.value;
  const react = (emoji: string, add: boolean) =>
    send({ type: add ? "react" : "unreact", room, id, emoji });
  const adding = useSignal(false);
  // The emoji whose reactors show: named at each render, so the words
  // follow the counts (one's own click included) while it is shown.
  const who = useSignal("");
  const shown = list.find((r) => r.emoji === who.value);
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
            onPointerEnter={() => who.value = r.emoji}
            onContextMenu={(e) => {
              e.preventDefault();
              who.value = r.emoji;
            }}
            onClick={() => react(r.emoji, !own)}
          >
            {r.emoji} <span class="count">{r.count}</span>
          </button>
        );
      })}
      {shown && (
        <span class="who-reacted" role="tooltip">{whoReacted(shown)}</span>
      )}
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
      {adding.value && (
        <ReactionPalette
          onPick={(e) => {
            adding.value = false;
            react(e, !mine.has(e));
          }}
        />
      )}
      {props.moderator && (
        <button
          type="button"
          class="link pin"
          onClick={() =>
            send({ type: props.pinned ? "unpin" : "pin", room, id })}
        >
          {props.pinned ? "Unpin" : "Pin"}
        </button>
      )}
    </div>
  );
}
