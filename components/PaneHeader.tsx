import type { ComponentChildren, VNode } from "preact";
import type { DrawerHandle } from "@/lib/client/hooks/use_drawer.ts";
import { useConfirm } from "@/lib/client/hooks/use_confirm.ts";
import { Menu } from "./Menu.tsx";
import type { UnreadElsewhere } from "./Sidebar.tsx";

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
  /**
   * Why leaving needs a second press (a private room's "You'll need an
   * invite to come back"); without it the first press leaves.
   */
  leaveWarning?: string;
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
  /** What is unread in other rooms: the phone's Rooms button shows it. */
  unread?: UnreadElsewhere;
}

/**
 * The room's title and online count, the room menu, who one is, log in or
 * out, and the drawer toggles; on a phone the Rooms toggle counts the other
 * rooms with unread messages, marked "@" when one is a mention or a DM.
 */
export function PaneHeader(props: PaneHeaderProps): VNode {
  const { room, me, drawer, unread, leaveWarning } = props;
  const confirmLeave = useConfirm<string>();
  const leaveArmed = confirmLeave.armed.value === room;
  return (
    <header class="pane-head">
      <button
        type="button"
        class="icon only-phone rooms-toggle"
        aria-controls="rooms"
        aria-expanded={drawer.open.value === "rooms"}
        aria-label={unread?.rooms ? roomsLabel(unread) : undefined}
        onClick={() => drawer.toggle("rooms")}
      >
        Rooms
        {unread?.rooms
          ? (
            <span
              class={unread.forYou ? "badge mention" : "badge"}
              aria-hidden="true"
            >
              {unread.forYou ? "@" : ""}
              {unread.rooms}
            </span>
          )
          : null}
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
          class="icon pins wide-only"
          aria-label="Pinned messages"
          onClick={props.onPins}
        >
          📌{props.pinned ? ` ${props.pinned}` : ""}
        </button>
      )}
      {
        /* On a phone or in a window up to 700 px wide the header keeps
        the room's name and moves search, pins and the account here;
        elsewhere the menu is for members. */
      }
      <Menu
        class={props.onLeave ? "room-menu" : "room-menu only-phone"}
        label="Room menu"
        button="⋯"
      >
        <MenuItem phone onClick={props.onSearch}>Search messages</MenuItem>
        <MenuItem phone onClick={props.onHelp}>Keyboard shortcuts</MenuItem>
        {props.onPins && (
          <MenuItem phone onClick={props.onPins}>
            Pinned messages{props.pinned ? ` (${props.pinned})` : ""}
          </MenuItem>
        )}
        {props.logoutToken
          ? (
            <LogoutForm
              token={props.logoutToken}
              class="only-phone"
              buttons="link"
              everywhere="Log out everywhere"
            />
          )
          : (
            <a class="only-phone" href={loginHref(room)}>
              Log in
            </a>
          )}
        {props.onLeave && (
          <MenuItem
            keepOpen={leaveWarning !== undefined && !leaveArmed}
            onClick={() => {
              const leave = props.onLeave!;
              if (leaveWarning === undefined) leave();
              else confirmLeave.press(room, leave);
            }}
          >
            {leaveArmed ? `Really leave? ${leaveWarning}` : "Leave room"}
          </MenuItem>
        )}
      </Menu>
      {props.logoutToken
        ? (
          <LogoutForm
            token={props.logoutToken}
            class="logout-form wide-only"
            buttons="icon"
            everywhere="Everywhere"
          />
        )
        : <a class="icon wide-only" href={loginHref(room)}>Log in</a>}
      <button
        type="button"
        class="icon search wide-only"
        onClick={props.onSearch}
      >
        Search
      </button>
      <button
        type="button"
        class="icon help wide-only"
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

/** The Rooms button's name: "Rooms, 2 unread, 1 with a mention or direct message". */
function roomsLabel(unread: UnreadElsewhere): string {
  const forYou = unread.forYou === 0
    ? ""
    : `, ${unread.forYou} with ${
      unread.forYou === 1
        ? "a mention or direct message"
        : "mentions or direct messages"
    }`;
  return `Rooms, ${unread.rooms} unread${forYou}`;
}

/** Where "Log in" goes: the login page, back to `room` after. */
function loginHref(room: string): string {
  return `/login?next=${encodeURIComponent(`/rooms/${room}`)}`;
}

/** A room menu entry: closes the menu, then acts; `phone` ones show on phones only. */
function MenuItem(
  props: {
    phone?: boolean;
    /** The press asks once more: the menu stays open for the answer. */
    keepOpen?: boolean;
    onClick: () => void;
    children: ComponentChildren;
  },
): VNode {
  return (
    <button
      type="button"
      class={props.phone ? "link only-phone" : "link"}
      onClick={(e) => {
        if (!props.keepOpen) {
          e.currentTarget.closest("details")?.removeAttribute("open");
        }
        props.onClick();
      }}
    >
      {props.children}
    </button>
  );
}

/**
 * Log out, and log out on every device: a form posting the CSRF `token`,
 * its buttons of class `buttons`.
 */
function LogoutForm(props: {
  token: string;
  class: string;
  buttons: string;
  everywhere: string;
}): VNode {
  return (
    <form method="post" action="/logout" class={props.class}>
      <input type="hidden" name="csrf" value={props.token} />
      <button type="submit" class={props.buttons}>Log out</button>
      <button
        type="submit"
        class={props.buttons}
        name="everywhere"
        value="1"
        aria-label="Log out everywhere"
        title="End this account's sessions on every device"
      >
        {props.everywhere}
      </button>
    </form>
  );
}
