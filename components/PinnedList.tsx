import type { VNode } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { ClientFrame, Pin } from "@/lib/shared/protocol.ts";
import { TopicForm } from "./TopicForm.tsx";
import { MessageText } from "./MessageText.tsx";

/** Props of {@link PinnedList}. */
export interface PinnedListProps {
  /** The room's pins, newest first. */
  pins: readonly Pin[];
  /** The reader's name: mentions of them are marked. */
  me?: string;
  /** Shows the message in the room (a reply kept in its thread: there). */
  onShow: (id: number, thread?: number) => void;
  /** The room. */
  room: string;
  /** The room's topic. */
  topic?: string;
  /** Whether the reader moderates the room: Unpin and the topic field show. */
  moderator: boolean;
  /** Sends a frame (`unpin`, `topic`) to the server. */
  send: (frame: ClientFrame) => void;
  /** Closes the panel (and gives the focus back to what opened it). */
  onClose: () => void;
}

/**
 * A room's pinned messages, newest pin first, each with who pinned it
 * (names and text isolated, a guest author marked); for the room's
 * moderators, the topic field above them. It takes the focus on opening (the
 * topic field, else its × button); the page makes it a layer, which Escape
 * closes.
 */
export function PinnedList(props: PinnedListProps): VNode {
  const { room, send } = props;
  const root = useRef<HTMLElement>(null);
  const close = useRef<HTMLButtonElement>(null);
  // It opens on demand (its code loads first): autofocus would do nothing.
  useEffect(() => {
    (root.current?.querySelector("input") ?? close.current)?.focus();
  }, []);
  return (
    <section class="pinned-list" aria-label="Pinned messages" ref={root}>
      <header class="pinned-head">
        <h2>Pinned messages</h2>
        <button
          ref={close}
          type="button"
          class="icon"
          aria-label="Close pinned messages"
          onClick={props.onClose}
        >
          ×
        </button>
      </header>
      {props.moderator && (
        <TopicForm
          topic={props.topic}
          onSave={(topic) => send({ type: "topic", room, topic })}
          onCancel={props.onClose}
        />
      )}
      {props.pins.length ? "" : "No pinned messages yet"}
      {props.pins.map(({ message: m, by }) => (
        <div key={m.id} class="pin">
          <bdi class="user">{m.user}</bdi>
          {m.guest && <span class="tag">guest</span>}{" "}
          {/* Isolated: a text ending in U+202E can't reorder the line. */}
          <bdi class="text">
            <MessageText text={m.text} me={props.me} />
          </bdi>{" "}
          <span class="by">
            pinned by <bdi>{by}</bdi>
          </span>{" "}
          <button
            type="button"
            class="link"
            onClick={() =>
              props.onShow(m.id, m.alsoInRoom ? undefined : m.parent)}
          >
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
        </div>
      ))}
    </section>
  );
}
