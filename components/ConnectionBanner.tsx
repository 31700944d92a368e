import type { VNode } from "preact";
import type { ConnectionState } from "@/lib/client/connection.ts";

/** Props of {@link ConnectionBanner}. */
export interface ConnectionBannerProps {
  /** Where the connection is. */
  state: ConnectionState;
  /** Seconds until the next attempt, while reconnecting. */
  retryIn: number | null;
  /** Messages waiting in the outbox. */
  waiting: number;
  /** Whether the browser thinks it is online. */
  online: boolean;
}

/** Says what the connection is doing, and how many messages wait to go. */
export function ConnectionBanner(
  { state, retryIn, waiting, online }: ConnectionBannerProps,
): VNode {
  let text = "";
  if (!online) text = "Offline";
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
      data-state={online ? state : "offline"}
    >
      {text}
    </div>
  );
}
