import type { VNode } from "preact";
import type { Pin } from "@/lib/shared/protocol.ts";
import { MessageText } from "./MessageText.tsx";

/** Props of {@link PinnedList}. */
export interface PinnedListProps {
  /** The room's pins, newest first. */
  pins: readonly Pin[];
  /** The reader's name, for mentions. */
  me: string;
  /** Unpins a message; given to the room's moderators. */
  onUnpin?: (id: number) => void;
  /** Shows the message in the room. */
  onShow: (id: number) => void;
}

/** A room's pinned messages, newest pin first, each with who pinned it. */
export function PinnedList(props: PinnedListProps): VNode {
  return (
    <section class="pinned-list" aria-label="Pinned messages">
      {props.pins.length ? "" : "No pinned messages yet"}
      {props.pins.map(({ message: m, by }) => (
        <p key={m.id}>
          <bdi class="user">{m.user}</bdi>{" "}
          <MessageText text={m.text} me={props.me} />{" "}
          <span class="by">pinned by {by}</span>{" "}
          <button type="button" class="link" onClick={() => props.onShow(m.id)}>
            Show
          </button>{" "}
          {props.onUnpin && (
            <button
              type="button"
              class="link"
              onClick={() => props.onUnpin!(m.id)}
            >
              Unpin
            </button>
          )}
        </p>
      ))}
    </section>
  );
}
