/**
 * The page title counts what arrived while the tab was hidden, and a
 * mention of the reader raises a notification (once permission is given).
 *
 * @module
 */
import { useSignalEffect } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { ChatStore } from "@/lib/client/chat_store.ts";
import { roomRef } from "@/components/Sidebar.tsx";

/** Keeps `document.title` and mention notifications in step with `store`. */
export function usePageTitle(store: ChatStore): void {
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
      new Notification(`${m.user} in ${roomRef(store.rooms.peek(), m.room)}`, {
        body: m.text.slice(0, 140),
      });
    }
  });
}
