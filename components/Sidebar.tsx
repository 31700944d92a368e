import type { VNode } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { MyRoom } from "@/lib/shared/protocol.ts";
import { ROOM_ID } from "@/lib/shared/names.ts";

/** The room-name rule, as people read it. */
const RULE =
  "1–32 letters a–z, digits, _ or -, starting with a letter or digit";

/** Props of {@link Sidebar}. */
export interface SidebarProps {
  /** The rooms one is a member of, in the server's order. */
  rooms: MyRoom[];
  /** The open room's id. */
  current: string;
  /** Opens a room in place (links still work without it). */
  onOpen?: (room: string) => void;
  /** Opens the room directory. */
  onBrowse?: () => void;
  /** Asks the server for a new room, private or public. */
  onCreate?: (room: string, isPrivate: boolean) => void;
  /** Why the last room could not be created. */
  createError?: string;
  /** Explains a name that breaks the rule. */
  onInvalid?: (message: string) => void;
  /** Closes a DM (it comes back with a newer message). */
  onCloseDm?: (room: string) => void;
}

/**
 * One's rooms and direct messages with unread and mention counts, the way
 * to the room directory, and the create-room form.
 */
export function Sidebar(props: SidebarProps): VNode {
  // The form is cleared once the room it asked for is there: a refusal
  // leaves the name typed, to be mended.
  const form = useRef<HTMLFormElement>(null);
  const asked = useRef("");
  useEffect(() => {
    if (asked.current && props.rooms.some((r) => r.id === asked.current)) {
      asked.current = "";
      form.current?.reset();
    }
  }, [props.rooms]);
  const rooms = props.rooms.filter((r) => r.kind !== "dm");
  const dms = props.rooms.filter((r) =>
    r.kind === "dm" && (r.id === props.current || !isClosed(r))
  );
  return (
    <>
      <h2 class="side-title" id="rooms-title">Rooms</h2>
      <RoomList {...props} rooms={rooms} label="rooms-title" />
      <button type="button" class="link browse" onClick={props.onBrowse}>
        Browse rooms
      </button>
      <h2 class="side-title" id="dms-title">Direct messages</h2>
      {dms.length
        ? <RoomList {...props} rooms={dms} label="dms-title" />
        : <p class="hint">Open one with “Message” in a member list.</p>}
      <form
        ref={form}
        class="create-room"
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget as HTMLFormElement;
          const input = form.elements.namedItem("room") as HTMLInputElement;
          // Capitals are fine: ids are lower case, so they are folded here.
          const name = input.value.trim().toLowerCase();
          if (!name) return;
          if (!ROOM_ID.test(name)) {
            props.onInvalid?.(
              `“${input.value.trim()}” can't be a room: use ${RULE}`,
            );
            return;
          }
          const secret = form.elements.namedItem("private") as HTMLInputElement;
          asked.current = name;
          props.onCreate?.(name, secret.checked);
        }}
      >
        <label for="new-room">New room</label>
        <div class="row">
          <input
            id="new-room"
            name="room"
            placeholder="e.g. design"
            maxLength={32}
            autoCapitalize="none"
            aria-describedby="new-room-rule"
            aria-invalid={props.createError ? true : undefined}
          />
          <button type="submit" class="button">Create</button>
        </div>
        <label class="check">
          <input type="checkbox" name="private" /> Private: members only
        </label>
        <p class="hint" id="new-room-rule">{RULE}</p>
        {props.createError && (
          <p class="error" role="alert">{props.createError}</p>
        )}
      </form>
    </>
  );
}

/** A list of rooms or DMs, each with its badge. */
function RoomList(
  props: SidebarProps & { rooms: MyRoom[]; label: string },
): VNode {
  return (
    <ul class="rooms" aria-labelledby={props.label}>
      {props.rooms.map((r) => {
        const here = r.id === props.current;
        // The open room is being read: no badge there.
        const unread = here ? 0 : r.unread;
        const mentions = here ? 0 : r.mentions;
        const label = [
          unread ? `${unread} unread` : "",
          mentions ? `${mentions} mention${mentions > 1 ? "s" : ""}` : "",
        ].filter(Boolean).join(", ");
        return (
          <li key={r.id}>
            <a
              href={`/rooms/${r.id}`}
              class={here ? "room current" : unread ? "room unread" : "room"}
              aria-current={here ? "page" : undefined}
              data-room={r.id}
              onClick={(e) => {
                if (!props.onOpen || e.metaKey || e.ctrlKey) return;
                e.preventDefault();
                props.onOpen(r.id);
              }}
            >
              <span class="name">{roomLabel(r)}</span>
              {r.kind === "private" && <span class="sr-only">(private)</span>}
              {unread > 0 && (
                <span
                  class={mentions ? "badge mention" : "badge"}
                  aria-label={label}
                >
                  {mentions ? `@${mentions}` : unread}
                </span>
              )}
            </a>
            {r.kind === "dm" && props.onCloseDm && (
              <button
                type="button"
                class="close-dm"
                aria-label={`Close the conversation with ${r.name}`}
                title="Close (it comes back with a new message)"
                onClick={() => props.onCloseDm?.(r.id)}
              >
                ×
              </button>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/**
 * Whether `r` is a DM its person closed with nothing newer since: it is
 * left out of the list (but for the open room) until a message comes.
 */
export function isClosed(r: MyRoom): boolean {
  return r.closed !== undefined && r.lastId <= r.closed;
}

/** What is unread outside the open room, as the phone's Rooms button says it. */
export interface UnreadElsewhere {
  /** How many rooms and DMs, other than the open one, have unread messages. */
  rooms: number;
  /** How many of those are for the reader: a mention, or a DM. */
  forYou: number;
}

/** Counts what the sidebar badges: rooms other than `current` with unread messages. */
export function unreadElsewhere(
  rooms: readonly MyRoom[],
  current: string,
): UnreadElsewhere {
  const unread = rooms.filter((r) => r.id !== current && r.unread > 0);
  return {
    rooms: unread.length,
    forYou: unread.filter((r) => r.mentions > 0 || r.kind === "dm").length,
  };
}

/**
 * How room `id` is named in running text ("Message #general", a title):
 * #room, or @person for a DM (whose id means nothing to a reader).
 */
export function roomRef(rooms: readonly MyRoom[], id: string): string {
  const r = rooms.find((x) => x.id === id);
  return r?.kind === "dm" ? `@${r.name}` : `#${r?.name ?? id}`;
}

/** How a room is named in lists and headings: #room, 🔒room, @person. */
export function roomLabel(r: { kind: MyRoom["kind"]; name: string }): string {
  return `${
    r.kind === "dm" ? "@" : r.kind === "private" ? "🔒" : "#"
  } ${r.name}`;
}
