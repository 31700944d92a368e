import type { VNode } from "preact";
import type { DrawerHandle } from "@/lib/client/hooks/use_drawer.ts";

/** Props of {@link PaneHeader}. */
export interface PaneHeaderProps {
  /** The open room's id. */
  room: string;
  /** The open room as headings name it (#room, 🔒room, @person). */
  title: string;
  /** How many of the room's members are online, once known. */
  online: number | null;
  /** Leaves the room (offered to its members). */
  onLeave?: () => void;
  /** The reader's name, once the server granted it. */
  me: string;
  /** Whether the reader is signed in to an account. */
  signedIn: boolean;
  /** The CSRF token of the logout form, when signed in. */
  logoutToken?: string | null;
  /** The drawers, toggled by the header's buttons. */
  drawer: DrawerHandle;
  /** Opens the keyboard shortcuts help. */
  onHelp: () => void;
  /** Opens message search. */
  onSearch: () => void;
  /** The room's topic, when it has one. */
  topic?: string;
  /** How many messages are pinned, once known. */
  pinned?: number | null;
  /** Shows or hides the pinned messages (and, for moderators, the topic field). */
  onPins?: () => void;
}

/**
 * The room's title and online count, the room menu, who one is, log in or
 * out, and the drawer toggles.
 */
export function PaneHeader(props: PaneHeaderProps): VNode {
  const { room, me, drawer } = props;
  return (
    <header class="pane-head">
      <button
        type="button"
        class="icon only-phone"
        aria-controls="rooms"
        aria-expanded={drawer.open.value === "rooms"}
        onClick={() => drawer.toggle("rooms")}
      >
        Rooms
      </button>
      <div class="title">
        <h1>{props.title}</h1>
        <span class="who">
          {me ? `${props.signedIn ? "Signed in" : "Chatting"} as ${me}` : ""}
        </span>
        {/* After the name, so its arrival moves nothing. */}
        {props.online !== null && (
          <span class="online-count">{props.online} online</span>
        )}
        {props.topic && <p class="topic" title={props.topic}>{props.topic}</p>}
      </div>
      {props.onPins && (
        <button
          type="button"
          class="icon pins"
          aria-label="Pinned messages"
          onClick={props.onPins}
        >
          📌{props.pinned ? ` ${props.pinned}` : ""}
        </button>
      )}
      {props.onLeave && (
        <details class="room-menu">
          <summary class="icon" aria-label="Room menu" title="Room menu">
            ⋯
          </summary>
          <div class="menu">
            <button
              type="button"
              class="link"
              onClick={(e) => {
                e.currentTarget.closest("details")?.removeAttribute("open");
                props.onLeave?.();
              }}
            >
              Leave room
            </button>
          </div>
        </details>
      )}
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
      <button type="button" class="icon search" onClick={props.onSearch}>
        Search
      </button>
      <button
        type="button"
        class="icon help"
        aria-label="Keyboard shortcuts"
        title="Keyboard shortcuts (?)"
        onClick={props.onHelp}
      >
        ?
      </button>
      <button
        type="button"
        class="icon only-narrow"
        aria-controls="members"
        aria-expanded={drawer.open.value === "members"}
        onClick={() => drawer.toggle("members")}
      >
        Members
      </button>
    </header>
  );
}
