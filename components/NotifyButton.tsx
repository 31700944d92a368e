import type { VNode } from "preact";
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";

/**
 * Asks for permission to notify of mentions and DMs, while the browser hasn't been
 * asked yet. It sits at the end of the sidebar, so appearing after the
 * first paint moves nothing.
 */
export function NotifyButton(): VNode | null {
  const ask = useSignal(false);
  useEffect(() => {
    ask.value = typeof Notification !== "undefined" &&
      Notification.permission === "default";
  }, []);
  if (!ask.value) return null;
  return (
    <button
      type="button"
      class="link notify"
      onClick={async () => {
        await Notification.requestPermission();
        ask.value = Notification.permission === "default";
      }}
    >
      Notify me of mentions and DMs
    </button>
  );
}
