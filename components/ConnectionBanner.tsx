import type { VNode } from "preact";
import type { ConnectionState } from "@/lib/client/connection.ts";

/** Props of {@link ConnectionBanner}. */
export interface ConnectionBannerProps {
  /** Where the connection is; `idle` before there is one (no name yet, no script). */
  state: ConnectionState | "idle";
  /** Seconds until the next attempt, while reconnecting. */
  retryIn: number | null;
  /** Messages waiting in the outbox. */
  waiting: number;
  /** Whether the browser thinks it is online. */
  online: boolean;
  /** Tries to reconnect now. */
  onRetry?: () => void;
}

/**
 * Says what the connection is doing, and how many messages wait to go. It
 * overlays the page (nothing moves when it comes or goes) and fades in after
 * a moment, so a quick connect shows nothing at all.
 */
export function ConnectionBanner(
  { state, retryIn, waiting, online, onRetry }: ConnectionBannerProps,
): VNode {
  let text = "";
  if (state === "idle") text = "";
  else if (!online) text = "Offline.";
  else if (state === "connecting") text = "Connecting…";
  else if (state === "reconnecting") {
    text = retryIn !== null && retryIn > 0
      ? `Reconnecting in ${retryIn} s…`
      : "Reconnecting…";
  }
  if (text && waiting > 0) {
    text += ` ${waiting} message${waiting > 1 ? "s" : ""} waiting to send.`;
  }
  return (
    <div
      class={text ? "banner" : "banner hidden"}
      role="status"
      data-state={online || state === "idle" ? state : "offline"}
    >
      {text}
      {text && state === "reconnecting" && (
        <>
          {" "}
          <button type="button" class="link" onClick={onRetry}>
            Retry now
          </button>
        </>
      )}
    </div>
  );
}
