import type { VNode } from "preact";
import type { RoomInfo } from "@/lib/shared/protocol.ts";
import { ROOM_ID } from "@/lib/shared/names.ts";

/** The room-name rule, as people read it. */
const RULE =
  "1–32 letters a–z, digits, _ or -, starting with a letter or digit";

/** Props of {@link Sidebar}. */
export interface SidebarProps {
  /** Every room, in the server's order. */
  rooms: RoomInfo[];
  /** The open room's id. */
  current: string;
  /** Unread messages per room id. */
  unread: Record<string, number>;
  /** Unread mentions of the reader per room id. */
  mentions: Record<string, number>;
  /** Opens a room in place (links still work without it). */
  onOpen?: (room: string) => void;
  /** Asks the server for a new room. */
  onCreate?: (room: string) => void;
  /** Why the last room could not be created. */
  createError?: string;
  /** Explains a name that breaks the rule. */
  onInvalid?: (message: string) => void;
}

/** The room list with unread and mention counts, and the create-room form. */
export function Sidebar(props: SidebarProps): VNode {
  return (
    <>
      <h2 class="side-title">Rooms</h2>
      <ul class="rooms">
        {props.rooms.map((r) => {
          const unread = props.unread[r.id] ?? 0;
          const mentions = props.mentions[r.id] ?? 0;
          const label = [
            unread ? `${unread} unread` : "",
            mentions ? `${mentions} mention${mentions > 1 ? "s" : ""}` : "",
          ].filter(Boolean).join(", ");
          return (
            <li key={r.id}>
              <a
                href={`/rooms/${r.id}`}
                class={r.id === props.current ? "room current" : "room"}
                aria-current={r.id === props.current ? "page" : undefined}
                data-room={r.id}
                onClick={(e) => {
                  if (!props.onOpen || e.metaKey || e.ctrlKey) return;
                  e.preventDefault();
                  props.onOpen(r.id);
                }}
              >
                <span class="name"># {r.name}</span>
                {unread > 0 && (
                  <span
                    class={mentions ? "badge mention" : "badge"}
                    aria-label={label}
                  >
                    {mentions ? `@${mentions}` : unread}
                  </span>
                )}
              </a>
            </li>
          );
        })}
      </ul>
      <form
        class="create-room"
        onSubmit={(e) => {
          e.preventDefault();
          const input = (e.currentTarget as HTMLFormElement).elements.namedItem(
            "room",
          ) as HTMLInputElement;
          // Capitals are fine: ids are lower case, so they are folded here.
          const name = input.value.trim().toLowerCase();
          if (!name) return;
          if (!ROOM_ID.test(name)) {
            props.onInvalid?.(
              `“${input.value.trim()}” can't be a room: use ${RULE}`,
            );
            return;
          }
          props.onCreate?.(name);
          input.value = "";
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
        <p class="hint" id="new-room-rule">{RULE}</p>
        {props.createError && (
          <p class="error" role="alert">{props.createError}</p>
        )}
      </form>
    </>
  );
}
