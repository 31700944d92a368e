import type { VNode } from "preact";
import type { RoomInfo } from "@/lib/shared/protocol.ts";

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
          const name = input.value.trim().toLowerCase();
          if (name) props.onCreate?.(name);
          input.value = "";
        }}
      >
        <label for="new-room">New room</label>
        <div class="row">
          <input
            id="new-room"
            name="room"
            placeholder="e.g. design"
            pattern="[a-z0-9][a-z0-9_\-]{0,31}"
            maxLength={32}
          />
          <button type="submit" class="button">Create</button>
        </div>
        {props.createError && (
          <p class="error" role="alert">{props.createError}</p>
        )}
      </form>
    </>
  );
}
