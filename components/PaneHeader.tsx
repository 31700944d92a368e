import type { VNode } from "preact";
import type { Signal } from "@preact/signals";
import { IS_BROWSER } from "fresh/runtime";

/** Which phone drawer is open. */
export type Drawer = "rooms" | "members" | null;

/** Props of {@link PaneHeader}. */
export interface PaneHeaderProps {
  /** The open room's id. */
  room: string;
  /** The reader's name, once the server granted it. */
  me: string;
  /** Whether the reader is signed in to an account. */
  signedIn: boolean;
  /** The CSRF token of the logout form, when signed in. */
  logoutToken?: string | null;
  /** The open drawer, toggled by the header's buttons. */
  drawer: Signal<Drawer>;
}

/** The room's title, who one is, log in or out, and the drawer toggles. */
export function PaneHeader(props: PaneHeaderProps): VNode {
  const { room, me, drawer } = props;
  const toggle = (which: Drawer) =>
    drawer.value = drawer.value === which ? null : which;
  return (
    <header class="pane-head">
      <button
        type="button"
        class="icon only-phone"
        aria-controls="rooms"
        aria-expanded={drawer.value === "rooms"}
        onClick={() => toggle("rooms")}
      >
        Rooms
      </button>
      <h1># {room}</h1>
      <span class="who">
        {me ? `${props.signedIn ? "Signed in" : "Chatting"} as ${me}` : ""}
      </span>
      {props.logoutToken
        ? (
          <form method="post" action="/logout" class="logout-form">
            <input type="hidden" name="csrf" value={props.logoutToken} />
            <button type="submit" class="icon">Log out</button>
            <button
              type="submit"
              class="icon"
              name="everywhere"
              value="1"
              title="End this account's sessions on every device"
            >
              Everywhere
            </button>
          </form>
        )
        : (
          <a
            class="icon"
            href={`/login?next=${encodeURIComponent(`/rooms/${room}`)}`}
          >
            Log in
          </a>
        )}
      {IS_BROWSER && typeof Notification !== "undefined" &&
        Notification.permission === "default" && (
        <button
          type="button"
          class="icon notify"
          aria-label="Notify me of mentions"
          title="Notify me of mentions"
          onClick={() => Notification.requestPermission()}
        >
          <svg
            viewBox="0 0 24 24"
            width="16"
            height="16"
            aria-hidden="true"
            fill="none"
            stroke="currentColor"
            stroke-width="2"
          >
            <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
            <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
          </svg>
        </button>
      )}
      <button
        type="button"
        class="icon only-narrow"
        aria-controls="members"
        aria-expanded={drawer.value === "members"}
        onClick={() => toggle("members")}
      >
        Members
      </button>
    </header>
  );
}
