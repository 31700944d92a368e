import type { RefObject, VNode } from "preact";
import { type Signal, useSignal } from "@preact/signals";

/** An own message being edited in the composer. */
export interface Editing {
  /** The message's room. */
  room: string;
  /** The message's id. */
  id: number;
}

/** Props of {@link Composer}. */
export interface ComposerProps {
  /** The open room's id. */
  room: string;
  /** The server's limit on a message's text in UTF-8 bytes, once known. */
  maxBytes: number | null;
  /** The own message being edited, if any. */
  editing: Signal<Editing | null>;
  /** The textarea, for focus from elsewhere. */
  inputRef: RefObject<HTMLTextAreaElement>;
  /** Sends (or, while editing, saves) the trimmed text. */
  onSubmit: (text: string) => void;
  /** Called as the user types a new message. */
  onTyping: () => void;
}

const encoder = new TextEncoder();

/**
 * Where messages are written: Enter sends, Shift+Enter breaks the line,
 * Escape cancels an edit; text over the server's limit is refused here.
 */
export function Composer(props: ComposerProps): VNode {
  const { room, maxBytes, editing, inputRef } = props;
  const over = useSignal(0);

  const measure = (text: string) => {
    over.value = maxBytes === null
      ? 0
      : Math.max(0, encoder.encode(text.trim()).length - maxBytes);
  };
  const cancel = () => {
    editing.value = null;
    if (inputRef.current) inputRef.current.value = "";
    over.value = 0;
  };
  const submit = () => {
    const el = inputRef.current;
    if (!el) return;
    const text = el.value.trim();
    measure(text);
    if (!text || over.value > 0) return;
    props.onSubmit(text);
    el.value = "";
  };

  return (
    <>
      {editing.value && (
        <p class="editing-line">
          Editing your message (Esc to cancel) ·{" "}
          <button type="button" class="link" onClick={cancel}>Cancel</button>
        </p>
      )}
      {over.value > 0 && (
        <p class="error composer-error" role="alert">
          {over.value} byte{over.value > 1 ? "s" : ""} over the limit of{" "}
          {maxBytes}; shorten the message
        </p>
      )}
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <label for="composer" class="sr-only">Message #{room}</label>
        <textarea
          id="composer"
          ref={inputRef}
          rows={1}
          placeholder={`Message #${room}`}
          onInput={(e) => {
            measure(e.currentTarget.value);
            if (!editing.value) props.onTyping();
          }}
          onKeyDown={(e) => {
            if (e.key === "Escape" && editing.value) {
              cancel();
              return;
            }
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              submit();
            }
          }}
        />
        <button type="submit" class="button">Send</button>
      </form>
    </>
  );
}
