import type { VNode } from "preact";
import { batch, signal } from "@preact/signals";
import { findTrigger, type Trigger } from "@/lib/client/completion.ts";
import {
  type Sources,
  suggest,
  type Suggestion,
} from "@/lib/client/suggest.ts";

/**
 * The composer's completion list: finds the `@`, `#` or `:` token at the
 * caret and suggests from `sources`; from the keyboard ↑/↓ move, Enter or
 * Tab pick (Enter on a name already typed out in full sends the message
 * instead), Escape closes until the token is left. Loaded by the composer
 * on the first token typed, with the suggestion code: the page's first
 * script holds neither.
 */
export class Completion {
  /** The suggestions shown; empty when the list is closed. */
  readonly list = signal<Suggestion[]>([]);
  /** The index of the highlighted suggestion. */
  readonly active = signal(0);
  #trigger: Trigger | null = null;
  /** The start of a token closed with Escape: it stays closed while typed on. */
  #dismissed = -1;
  #seq = 0;

  /**
   * A list over `sources` (read when a token is typed); `pick` replaces
   * `start`–`end` of the text with a chosen suggestion's text.
   */
  constructor(
    readonly sources: () => Sources,
    readonly pick: (start: number, end: number, text: string) => void,
  ) {}

  /** Looks at the caret of `el` again (after input, a click, a caret key). */
  update(el: HTMLTextAreaElement): void {
    const t = el.selectionStart === el.selectionEnd
      ? findTrigger(el.value, el.selectionEnd)
      : null;
    if (!t) this.#dismissed = -1;
    if (!t || t.start === this.#dismissed) return this.close();
    this.#trigger = t;
    const n = ++this.#seq;
    /** Shows `items`; a second list (the server's) keeps the highlight. */
    const show = (items: Suggestion[], again = false) => {
      if (n !== this.#seq) return; // Typed on meanwhile.
      const was = this.list.peek()[this.active.peek()]?.key;
      batch(() => {
        this.list.value = items;
        this.active.value = again
          ? Math.max(0, items.findIndex((s) => s.key === was))
          : 0;
      });
    };
    suggest(t, this.sources(), (items) => show(items, true))
      .then((items) => show(items), () => this.close());
  }

  /** Closes the list. */
  close(): void {
    this.#seq++;
    this.#trigger = null;
    if (this.list.peek().length > 0) this.list.value = [];
  }

  /** Picks suggestion `i`. */
  choose(i: number): void {
    const t = this.#trigger;
    const s = this.list.peek()[i];
    if (!t || !s) return;
    this.close();
    this.pick(t.start, t.end, s.insert);
  }

  /** Handles a key while the list is open; true when it did. */
  keyDown(e: KeyboardEvent): boolean {
    const n = this.list.peek().length;
    if (n === 0 || e.isComposing) return false;
    const at = this.active.peek();
    switch (e.key) {
      case "ArrowDown":
        this.active.value = (at + 1) % n;
        break;
      case "ArrowUp":
        this.active.value = (at + n - 1) % n;
        break;
      case "Enter":
      case "Tab": {
        if (e.shiftKey) return false;
        const t = this.#trigger!;
        const s = this.list.peek()[at];
        // A name or room typed out in full: Enter sends, as without a list.
        if (
          e.key === "Enter" && t.kind !== ":" &&
          s.insert.trim().toLowerCase() === (t.kind + t.query).toLowerCase()
        ) {
          this.close();
          return false;
        }
        this.choose(at);
        break;
      }
      case "Escape":
        this.#dismissed = this.#trigger?.start ?? -1;
        this.close();
        break;
      default:
        return false;
    }
    e.preventDefault();
    e.stopPropagation();
    return true;
  }

  /**
   * The message box's ARIA attributes: it names the list it completes
   * from and its highlighted option.
   */
  attributes(): Record<string, string | undefined> {
    const open = this.list.value.length > 0;
    return {
      "aria-controls": open ? "composer-suggest" : undefined,
      "aria-activedescendant": open
        ? `suggest-${this.active.value}`
        : undefined,
    };
  }
}

/** The list of {@link Completion} `c`, and a line for screen readers. */
export function CompletionList({ c }: { c: Completion }): VNode {
  const list = c.list.value;
  return (
    <>
      {list.length > 0 && (
        <ul
          id="composer-suggest"
          class="suggest"
          role="listbox"
          aria-label="Suggestions"
        >
          {list.map((s, i) => (
            <li
              key={s.key}
              id={`suggest-${i}`}
              role="option"
              aria-selected={i === c.active.value}
              // The message box keeps the focus (and the keyboard).
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => c.choose(i)}
            >
              {s.icon && <span aria-hidden="true">{s.icon}</span>}
              <bdi>{s.label}</bdi>
              {s.hint && <small>{s.hint}</small>}
            </li>
          ))}
        </ul>
      )}
      <p class="sr-only" aria-live="polite">
        {list.length > 0 &&
          `${list.length} suggestions: up and down to choose, Enter to pick`}
      </p>
    </>
  );
}
