import type { VNode } from "preact";
import { useComputed, useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { CATEGORIES, type Emoji, searchEmoji } from "@/lib/client/emoji.ts";

/** Props of {@link EmojiPicker}. */
export interface EmojiPickerProps {
  /** Called with the emoji picked; the picker is then closed by its owner. */
  onPick: (emoji: string) => void;
  /** Closes the picker without a pick (Escape, a click outside). */
  onClose: () => void;
}

/**
 * The emoji picker: a search box over every emoji, grouped by category.
 * The search box keeps the focus: typing filters, the arrow keys move
 * through the grid as it is laid out, Enter picks, Escape closes; a click
 * or tap picks too. Loaded by a dynamic import when first opened, with the
 * emoji data, so the page's first script holds neither.
 */
export function EmojiPicker({ onPick, onClose }: EmojiPickerProps): VNode {
  const query = useSignal("");
  const active = useSignal(0);
  const root = useRef<HTMLDivElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const groups = useComputed(() =>
    query.value.trim()
      ? [{ name: "Search results", emoji: searchEmoji(query.value) }]
      : CATEGORIES
  );
  const flat = useComputed(() => groups.value.flatMap((g) => g.emoji));
  const current: Emoji | undefined = flat.value[active.value];

  useEffect(() => input.current?.focus(), []);
  // A press outside closes it (the toggle button closes it by itself).
  useEffect(() => {
    const onDown = (e: PointerEvent) => {
      const target = e.target as Element;
      if (!root.current?.contains(target) && !target.closest(".emoji-toggle")) {
        onClose();
      }
    };
    addEventListener("pointerdown", onDown);
    return () => removeEventListener("pointerdown", onDown);
  }, []);
  useEffect(() => {
    document.getElementById(`emoji-${active.value}`)?.scrollIntoView({
      block: "nearest",
    });
  }, [active.value, groups.value]);

  /** The option a row up or down from the active one, as laid out. */
  const vertical = (down: boolean): number => {
    const options = root.current!.querySelectorAll<HTMLElement>(
      "[role=option]",
    );
    const at = active.peek();
    if (!options[at]) return 0;
    const box = (i: number) => options[i].getBoundingClientRect();
    const from = box(at);
    let row: number | null = null;
    let best = at;
    let bestDist = Infinity;
    for (
      let i = at + (down ? 1 : -1);
      i >= 0 && i < options.length;
      i += down ? 1 : -1
    ) {
      const b = box(i);
      if (Math.abs(b.top - from.top) < 2) continue;
      row ??= b.top;
      if (Math.abs(b.top - row) >= 2) break;
      const dist = Math.abs(b.left - from.left);
      if (dist < bestDist) [best, bestDist] = [i, dist];
    }
    return best;
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const n = flat.peek().length;
    let next = active.peek();
    switch (e.key) {
      case "ArrowRight":
        next = Math.min(n - 1, next + 1);
        break;
      case "ArrowLeft":
        next = Math.max(0, next - 1);
        break;
      case "ArrowDown":
        next = vertical(true);
        break;
      case "ArrowUp":
        next = vertical(false);
        break;
      case "Enter": {
        const e2 = flat.peek()[next];
        if (e2) onPick(e2.emoji);
        break;
      }
      case "Escape":
        onClose();
        break;
      default:
        return;
    }
    e.preventDefault();
    e.stopPropagation();
    active.value = next;
  };

  let index = 0;
  return (
    <div
      ref={root}
      class="emoji-picker"
      role="dialog"
      aria-label="Emoji picker"
    >
      <input
        ref={input}
        type="text"
        class="emoji-search"
        role="combobox"
        aria-label="Search emoji"
        aria-expanded="true"
        aria-controls="emoji-list"
        aria-autocomplete="list"
        aria-activedescendant={current ? `emoji-${active.value}` : undefined}
        placeholder="Search emoji"
        autocomplete="off"
        value={query.value}
        onInput={(e) => {
          query.value = e.currentTarget.value;
          active.value = 0;
        }}
        onKeyDown={onKeyDown}
      />
      <div id="emoji-list" class="emoji-list" role="listbox" aria-label="Emoji">
        {groups.value.map((g) => (
          <div key={g.name} role="group" aria-label={g.name}>
            <p class="emoji-group" aria-hidden="true">{g.name}</p>
            <div class="emoji-grid">
              {g.emoji.map((e) => {
                const i = index++;
                return (
                  <span
                    key={e.emoji}
                    id={`emoji-${i}`}
                    role="option"
                    aria-selected={i === active.value}
                    aria-label={e.description}
                    title={`:${e.names[0]}:`}
                    onMouseDown={(ev) => ev.preventDefault()}
                    onClick={() =>
                      onPick(e.emoji)}
                  >
                    {e.emoji}
                  </span>
                );
              })}
            </div>
          </div>
        ))}
        {flat.value.length === 0 && (
          <p class="emoji-none">No emoji match “{query}”</p>
        )}
      </div>
      <p class="emoji-preview" aria-hidden="true">
        {current ? `${current.emoji} :${current.names[0]}:` : ""}
      </p>
    </div>
  );
}
