import type { VNode } from "preact";
import type { Pin } from "@/lib/shared/protocol.ts";
import { MessageText } from "./MessageText.tsx";

/** Props of {@link PinnedList}. */
export interface PinnedListProps {
  /** The room's pins, newest first; null while they load. */
  pins: readonly Pin[] | null;
  /** The reader's name, for mentions. */
  me: string;
  /** Unpins a message; given to the room's moderators. */
  onUnpin?: (id: number) => void;
  /** Shows the message in the room. */
  onShow: (id: number) => void;
  /** Closes the list. */
  onClose: () => void;
}

/** A room's pinned messages, newest pin first, each with who pinned it. */
export function PinnedList(props: PinnedListProps): VNode {
  return (
    <section class="pinned-list" aria-label="Pinned messages">
      <header>
        <h2>Pinned messages</h2>
        <button
          type="button"
          class="icon"
          aria-label="Close pinned messages"
          onClick={props.onClose}
        >
          ×
        </button>
      </header>
      {props.pins === null
        ? <p class="muted">Loading…</p>
        : props.pins.length === 0
        ? <p class="muted">No pinned messages yet</p>
        : (
          <ol>
            {props.pins.map((p) => (
              <li key={p.message.id} data-id={p.message.id}>
                <div class="meta">
                  <bdi class="user">{p.message.user}</bdi>{" "}
                  <span class="by">pinned by {p.by}</span>
                </div>
                <div class="text">
                  <MessageText text={p.message.text} me={props.me} />
                </div>
                <div class="pin-actions">
                  <button
                    type="button"
                    class="link"
                    onClick={() =>
                      props.onShow(p.message.id)}
                  >
                    Show<span class="sr-only">message {p.message.id}</span>
                  </button>
                  {props.onUnpin && (
                    <button
                      type="button"
                      class="link"
                      onClick={() => props.onUnpin?.(p.message.id)}
                    >
                      Unpin<span class="sr-only">message {p.message.id}</span>
                    </button>
                  )}
                </div>
              </li>
            ))}
          </ol>
        )}
    </section>
  );
}
