import type { RefObject, VNode } from "preact";
import { type Signal, useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";

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
  /** Up-arrow in an empty composer: edit one's last message. */
  onEditLast: () => void;
}

/** What the composer held in a room left for another. */
interface Draft {
  text: string;
  editing: Editing | null;
}

const encoder = new TextEncoder();

/**
 * Where messages are written: Enter sends, Shift+Enter breaks the line (on
 * touch screens Enter breaks the line and the Send button sends), Up-arrow
 * in an empty box edits one's last message, Escape cancels an edit; text
 * over the server's limit is refused here. It grows with its text up to
 * about eight lines, and each room keeps its own draft and edit.
 */
export function Composer(props: ComposerProps): VNode {
  const { room, maxBytes, editing, inputRef } = props;
  const over = useSignal(0);
  const drafts = useRef(new Map<string, Draft>());
  const shown = useRef(room);

  // Switching rooms: keep this room's draft and edit, bring back the other's.
  useEffect(() => {
    const el = inputRef.current;
    if (!el || shown.current === room) return;
    drafts.current.set(shown.current, {
      text: el.value,
      editing: editing.peek(),
    });
    shown.current = room;
    const draft = drafts.current.get(room);
    el.value = draft?.text ?? "";
    editing.value = draft?.editing ?? null;
    measure(el.value);
    grow(el);
  }, [room]);

  const measure = (text: string) => {
    over.value = maxBytes === null
      ? 0
      : Math.max(0, encoder.encode(text.trim()).length - maxBytes);
  };
  const cancel = () => {
    editing.value = null;
    if (inputRef.current) {
      inputRef.current.value = "";
      grow(inputRef.current);
    }
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
    grow(el);
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
            grow(e.currentTarget);
            if (!editing.value) props.onTyping();
          }}
          onKeyDown={(e) => {
            if (e.key === "Escape" && editing.value) {
              e.stopPropagation();
              cancel();
              return;
            }
            if (
              e.key === "ArrowUp" && !e.currentTarget.value && !editing.value &&
              !e.altKey
            ) {
              e.preventDefault();
              props.onEditLast();
              return;
            }
            if (
              e.key === "Enter" && !e.shiftKey && !e.isComposing && !coarse()
            ) {
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

/** Whether the main pointer is a finger: Enter then breaks the line. */
function coarse(): boolean {
  return typeof matchMedia === "function" &&
    matchMedia("(pointer: coarse)").matches;
}

/** Grows the box with its text where CSS `field-sizing` can't. */
function grow(el: HTMLTextAreaElement): void {
  if (CSS.supports("field-sizing", "content")) return;
  el.style.height = "auto";
  el.style.height = `${el.scrollHeight + 2}px`;
}
