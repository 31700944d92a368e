import type { VNode } from "preact";
import type { ClientFrame, Pin } from "@/lib/shared/protocol.ts";
import { TopicForm } from "./TopicForm.tsx";

/** Props of {@link PinnedList}. */
export interface PinnedListProps {
  /** The room's pins, newest first. */
  pins: readonly Pin[];
  /** Shows the message in the room. */
  onShow: (id: number) => void;
  /** The room. */
  room: string;
  /** The room's topic. */
  topic?: string;
  /** Whether the reader moderates the room: Unpin and the topic field show. */
  moderator: boolean;
  /** Sends a frame (`unpin`, `topic`) to the server. */
  send: (frame: ClientFrame) => void;
  /** Closes the panel. */
  onClose: () => void;
}

/**
 * A room's pinned messages, newest pin first, each with who pinned it; for
 * the room's moderators, the topic field above them.
 */
export function PinnedList(props: PinnedListProps): VNode {
  const { room, send } = props;
  return (
    <section class="pinned-list" aria-label="Pinned messages">
      {props.moderator && (
        <TopicForm
          topic={props.topic}
          onSave={(topic) => send({ type: "topic", room, topic })}
          onCancel={props.onClose}
        />
      )}
      {props.pins.length ? "" : "No pinned messages yet"}
      {props.pins.map(({ message: m, by }) => (
        <p key={m.id}>
          <bdi class="user">{m.user}</bdi> <span class="text">{m.text}</span>
          {" "}
          <span class="by">pinned by {by}</span>{" "}
          <button type="button" class="link" onClick={() => props.onShow(m.id)}>
            Show
          </button>{" "}
          {props.moderator && (
            <button
              type="button"
              class="link"
              onClick={() => send({ type: "unpin", room, id: m.id })}
            >
              Unpin
            </button>
          )}
        </p>
      ))}
    </section>
  );
}
