/**
 * The chat page's keyboard shortcuts: Ctrl/Cmd+K switches rooms by name,
 * Alt+↑/↓ goes to the previous/next room, Alt+Shift+↑/↓ to the previous/next
 * room with unread messages, and `?` (outside text fields) lists them.
 *
 * @module
 */
import { useEffect } from "preact/hooks";
import type { ChatStore } from "@/lib/client/chat_store.ts";

/** What a shortcut asks the page to do. */
export interface ShortcutActions {
  /** Opens a room. */
  open(room: string): void;
  /** Shows the room switcher. */
  switcher(): void;
  /** Shows the shortcuts help. */
  help(): void;
}

/**
 * The room `step` places from `current` in `rooms` (wrapping), among those
 * `keep` accepts; `null` when none is.
 */
export function stepRoom(
  rooms: readonly string[],
  current: string,
  step: 1 | -1,
  keep: (room: string) => boolean = () => true,
): string | null {
  const at = rooms.indexOf(current);
  for (let i = 1; i < rooms.length; i++) {
    const r = rooms[(at + step * i + rooms.length * i) % rooms.length];
    if (r !== current && keep(r)) return r;
  }
  return null;
}

/** Listens for the shortcuts on the document while the page lives. */
export function useShortcuts(store: ChatStore, act: ShortcutActions): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || document.querySelector("dialog[open]")) return;
      const typing = e.target instanceof HTMLElement &&
        e.target.closest("input, textarea, select, [contenteditable]");
      if (
        (e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "k"
      ) {
        e.preventDefault();
        act.switcher();
      } else if (
        e.altKey && !e.ctrlKey && !e.metaKey &&
        (e.key === "ArrowUp" || e.key === "ArrowDown")
      ) {
        e.preventDefault();
        const unread = store.unread.peek();
        const next = stepRoom(
          store.rooms.peek().map((r) => r.id),
          store.current.peek(),
          e.key === "ArrowUp" ? -1 : 1,
          e.shiftKey ? (r) => (unread[r] ?? 0) > 0 : undefined,
        );
        if (next) act.open(next);
      } else if (e.key === "?" && !typing && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        act.help();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
}
