import type { ComponentType, RefObject, VNode } from "preact";
import { type Signal, useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import type { MemberEntry, MyRoom } from "@/lib/shared/protocol.ts";
import { fetchDirectory } from "@/lib/client/directory.ts";
import { guestHeaders } from "@/lib/client/history.ts";
import { enterSends } from "@/lib/client/enter_sends.ts";
import { roomRef } from "@/components/Sidebar.tsx";
import type { EmojiPickerProps } from "@/components/EmojiPicker.tsx";
import type {
  Completion,
  CompletionList,
} from "@/components/CompletionList.tsx";

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
  /**
   * Sends (or, while editing, saves) the trimmed text; false when it could
   * not, and the text stays in the box.
   */
  onSubmit: (text: string) => boolean;
  /**
   * Called as the user types: whether a new message is being written
   * (false once the box is empty again, or while editing).
   */
  onTyping: (typing: boolean) => void;
  /** Up-arrow in an empty composer: edit one's last message. */
  onEditLast: () => void;
  /** The room's members as the page holds them, for `@` completion. */
  members: readonly MemberEntry[];
  /** How many of the room's members are online (said beside `@here`). */
  online: number;
  /** The user's rooms, for `#` completion (with the directory). */
  rooms: readonly MyRoom[];
  /** The user's own name. */
  me: string;
}

/** What the composer held in a room left for another. */
interface Draft {
  text: string;
  editing: Editing | null;
}

const encoder = new TextEncoder();

/** The emoji picker, once its chunk has loaded. */
let loadedPicker: ComponentType<EmojiPickerProps> | null = null;
/** The completion code, loaded on the first token typed. */
let completionCode: Promise<typeof import("./CompletionList.tsx")> | null =
  null;

/** Whether a token to complete may end at the caret (checked closely later). */
const MAYBE_TOKEN = /[@#:][^\s@#:]*$/;

/**
 * Where messages are written: Enter sends, Shift+Enter breaks the line (on
 * touch screens Enter breaks the line and the Send button sends, leaving the
 * focus, and so the phone's keyboard, in the box), Up-arrow
 * in an empty box edits one's last message, Escape cancels an edit; text
 * over the server's limit is refused here. It grows with its text up to
 * about eight lines, and each room keeps its own draft and edit. `@`, `#`
 * and `:` open a list of members, rooms or emoji to complete from; the
 * emoji button opens a picker, whose code loads only then.
 */
export function Composer(props: ComposerProps): VNode {
  const { room, maxBytes, editing, inputRef } = props;
  const named = roomRef(props.rooms, room);
  const over = useSignal(0);
  /** An edit was saved empty: said until the box changes. */
  const empty = useSignal(false);
  const drafts = useRef(new Map<string, Draft>());
  const shown = useRef(room);
  const latest = useRef(props);
  latest.current = props;
  const picker = useSignal(false);
  const Picker = useSignal(loadedPicker);

  /** Replaces `start`–`end` with `text`, as typing would (undo included). */
  const insert = (start: number, end: number, text: string) => {
    const el = inputRef.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(start, end);
    if (!document.execCommand("insertText", false, text)) {
      el.setRangeText(text, start, end, "end");
      el.dispatchEvent(new Event("input", { bubbles: true }));
    }
  };
  const completion = useSignal<
    { c: Completion; List: typeof CompletionList } | null
  >(null);
  const c = completion.value?.c;
  /** Completes at the caret of `el`, loading the code on the first token. */
  const complete = (el: HTMLTextAreaElement) => {
    const loaded = completion.peek();
    if (loaded) return loaded.c.update(el);
    if (!MAYBE_TOKEN.test(el.value.slice(0, el.selectionEnd))) return;
    (completionCode ??= import("./CompletionList.tsx")).then((m) => {
      const c = new m.Completion(() => {
        const p = latest.current;
        return {
          room: p.room,
          members: p.members,
          rooms: p.rooms,
          me: p.me,
          online: p.online,
          directory: fetchDirectory,
          headers: guestHeaders(),
        };
      }, insert);
      completion.value ??= { c, List: m.CompletionList };
      completion.value.c.update(el);
    });
  };
  const togglePicker = async () => {
    picker.value = !picker.peek();
    if (!Picker.peek()) {
      const m = await import("@/components/EmojiPicker.tsx");
      Picker.value = loadedPicker = m.EmojiPicker;
    }
  };

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
    completion.peek()?.c.close();
  }, [room]);

  const measure = (text: string) => {
    empty.value = false;
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
    empty.value = false;
  };
  const submit = () => {
    const el = inputRef.current;
    if (!el) return;
    const text = el.value.trim();
    measure(text);
    if (!text) empty.value = editing.peek() !== null;
    if (!text || over.value > 0) return;
    if (!props.onSubmit(text)) return;
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
      {empty.value && (
        <p class="error composer-error" role="alert">
          A message can't be empty: Esc keeps it as it was, and its Delete
          action removes it
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
        <label for="composer" class="sr-only">Message {named}</label>
        {completion.value && <completion.value.List c={completion.value.c} />}
        <textarea
          id="composer"
          ref={inputRef}
          rows={1}
          placeholder={`Message ${named}`}
          aria-autocomplete="list"
          {...c?.attributes()}
          onInput={(e) => {
            measure(e.currentTarget.value);
            grow(e.currentTarget);
            complete(e.currentTarget);
            props.onTyping(
              !editing.value && e.currentTarget.value.trim() !== "",
            );
          }}
          onClick={(e) => complete(e.currentTarget)}
          onBlur={() => c?.close()}
          onKeyUp={(e) => {
            if (/^(Arrow(Left|Right)|Home|End)$/.test(e.key)) {
              complete(e.currentTarget);
            }
          }}
          onKeyDown={(e) => {
            if (c?.keyDown(e)) return;
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
            if (enterSends(e)) {
              e.preventDefault();
              submit();
            }
          }}
        />
        <button
          type="button"
          class="icon emoji-toggle"
          aria-label="Emoji"
          aria-haspopup="dialog"
          aria-expanded={picker.value}
          onClick={togglePicker}
        >
          ☺
        </button>
        {picker.value && Picker.value && (
          <Picker.value
            onPick={(emoji) => {
              const el = inputRef.current;
              if (el) insert(el.selectionStart, el.selectionEnd, emoji);
              picker.value = false;
            }}
            onClose={() => {
              picker.value = false;
              inputRef.current?.focus();
            }}
          />
        )}
        <button
          type="submit"
          class="button"
          // A press keeps the focus in the box: on a phone its keyboard stays up.
          onMouseDown={(e) => e.preventDefault()}
        >
          Send
        </button>
      </form>
    </>
  );
}

/** Grows the box with its text where CSS `field-sizing` can't. */
function grow(el: HTMLTextAreaElement): void {
  if (CSS.supports("field-sizing", "content")) return;
  el.style.height = "auto";
  el.style.height = `${el.scrollHeight + 2}px`;
}
