/**
 * The page title counts what arrived while the tab was hidden, and a
 * mention of the reader raises a notification (once permission is given).
 *
 * @module
 */
import { useSignalEffect } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import type { ChatStore } from "@/lib/client/chat_store.ts";
import type { ChatMessage } from "@/lib/shared/protocol.ts";
import { roomRef } from "@/components/Sidebar.tsx";

/**
 * Keeps `document.title` and mention notifications in step with `store`;
 * a notification clicked brings the tab forward and calls `open` with its
 * message (to show its room, or its thread for a reply).
 */
export function usePageTitle(
  store: ChatStore,
  open: (message: ChatMessage) => void,
): void {
  // The notification's click calls the page's function of the time.
  const opener = useRef(open);
  opener.current = open;
  useEffect(() => {
    const onVisible = () => {
      if (!document.hidden) store.hiddenUnread.value = 0;
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => document.removeEventListener("visibilitychange", onVisible);
  }, []);
  useSignalEffect(() => {
    const n = store.hiddenUnread.value;
    const named = roomRef(store.rooms.value, store.current.value);
    document.title = `${n ? `(${n}) ` : ""}${named} — Chat`;
  });
  useSignalEffect(() => {
    const m = store.lastMention.value;
    if (!m || !document.hidden || typeof Notification === "undefined") return;
    if (Notification.permission === "granted") {
      const where = roomRef(store.rooms.peek(), m.room);
      const note = new Notification(
        m.parent === undefined
          ? `${m.user} in ${where}`
          : `${m.user} replied in a thread in ${where}`,
        { body: m.text.slice(0, 140) },
      );
      note.onclick = () => {
        globalThis.focus();
        note.close();
        opener.current(m);
      };
    }
  });
}
