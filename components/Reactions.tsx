import type { RefObject, VNode } from "preact";
import { type Signal, useSignal } from "@preact/signals";
import type { ReactionView } from "@/lib/client/reactions.ts";
import type { ClientFrame } from "@/lib/shared/protocol.ts";
import { whoReacted } from "@/lib/client/who_reacted.ts";
import { ReactionPalette } from "./ReactionPalette.tsx";

/**
 * The "Add reaction" palette's state, kept by the page (see
 * `ReactionSlot.tsx`), as its layer is.
 */
export interface Palette {
  /** Whether it is open. */
  open: Signal<boolean>;
  /** The ☺+ button. */
  button: RefObject<HTMLButtonElement>;
  /** The ☺+ button and the palette: a press elsewhere closes it. */
  area: RefObject<HTMLSpanElement>;
  /** Closes it, the focus back on the ☺+ button when `focus`. */
  close(focus: boolean): void;
}

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
  /** The "Add reaction" palette. */
  palette: Palette;
}

/**
 * A message's reactions: one button per emoji with its count (pressed when
 * the reader's; a click toggles it), who reacted on hover or a long press
 * (the context menu a long touch opens), an "Add reaction" palette, and
 * Pin/Unpin for moderators. After a pick from the palette the focus is on
 * its ☺+ button.
 */
export function Reactions(props: ReactionsProps): VNode {
  const { room, id, send } = props;
  const { list, mine } = props.view.value;
  const react = (emoji: string, add: boolean) =>
    send({ type: add ? "react" : "unreact", room, id, emoji });
  const { palette } = props;
  const adding = palette.open;
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
      <span class="adder" ref={palette.area}>
        {props.canReact && (
          <button
            ref={palette.button}
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
              // The pick's button goes with the palette: the ☺+ takes the focus.
              palette.close(true);
              react(e, !mine.has(e));
            }}
          />
        )}
      </span>
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
