import type { VNode } from "preact";
import { useSignal } from "@preact/signals";
import type { MyRoom } from "@/lib/shared/protocol.ts";
import { Modal } from "./Modal.tsx";
import { roomLabel } from "./Sidebar.tsx";

/** Props of {@link RoomSwitcher}. */
export interface RoomSwitcherProps {
  /** One's rooms. */
  rooms: MyRoom[];
  /** Unread messages per room id. */
  unread: Record<string, number>;
  /** Opens the chosen room. */
  onOpen: (room: string) => void;
  /** Closes without choosing. */
  onClose: () => void;
}

/** Ctrl/Cmd+K: type part of a room's name, Enter opens the first match. */
export function RoomSwitcher(props: RoomSwitcherProps): VNode {
  const query = useSignal("");
  const q = query.value.trim().toLowerCase().replace(/^#/, "");
  const matches = props.rooms.filter((r) =>
    r.id.includes(q) || r.name.toLowerCase().includes(q)
  );
  return (
    <Modal title="Switch room" id="switcher-title" onClose={props.onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (matches[0]) props.onOpen(matches[0].id);
        }}
      >
        <label for="switcher-input">Room name</label>
        <input
          id="switcher-input"
          autoFocus
          autoComplete="off"
          aria-describedby="switcher-hint"
          value={query.value}
          onInput={(e) => query.value = e.currentTarget.value}
        />
        <p class="hint" id="switcher-hint">Enter opens the first match.</p>
      </form>
      <ul class="switcher-list">
        {matches.slice(0, 12).map((r) => (
          <li key={r.id}>
            <a
              href={`/rooms/${r.id}`}
              class="room"
              onClick={(e) => {
                e.preventDefault();
                props.onOpen(r.id);
              }}
            >
              <span class="name">{roomLabel(r)}</span>
              {props.unread[r.id] ? ` (${props.unread[r.id]} unread)` : ""}
            </a>
          </li>
        ))}
      </ul>
    </Modal>
  );
}
