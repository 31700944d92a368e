import type { VNode } from "preact";
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { DirectoryRoom } from "@/lib/shared/protocol.ts";
import { fetchDirectory } from "@/lib/client/directory.ts";
import { Modal } from "./Modal.tsx";

/** Props of {@link Directory}. */
export interface DirectoryProps {
  /** Ids of the rooms one is a member of, marked in the list. */
  mine: ReadonlySet<string>;
  /** Opens a room: one's own, or a preview with a "Join" button. */
  onOpen: (room: string) => void;
  /** Closes without choosing. */
  onClose: () => void;
}

/** "Browse rooms": the public rooms, a page at a time. */
export function Directory(props: DirectoryProps): VNode {
  const rooms = useSignal<DirectoryRoom[]>([]);
  const next = useSignal<string | undefined>(undefined);
  const state = useSignal<"loading" | "idle" | "failed">("loading");
  const load = async (cursor?: string) => {
    state.value = "loading";
    const page = await fetchDirectory(cursor);
    if (!page) {
      state.value = "failed";
      return;
    }
    rooms.value = cursor ? [...rooms.value, ...page.rooms] : page.rooms;
    next.value = page.next;
    state.value = "idle";
  };
  useEffect(() => {
    load();
  }, []);
  return (
    <Modal title="Browse rooms" id="directory-title" onClose={props.onClose}>
      <ul class="directory">
        {rooms.value.map((r) => (
          <li key={r.id}>
            <a
              href={`/rooms/${r.id}`}
              class="room"
              onClick={(e) => {
                e.preventDefault();
                props.onOpen(r.id);
              }}
            >
              <span class="name"># {r.name}</span>
              {props.mine.has(r.id) && <span class="tag">joined</span>}
            </a>
            {r.topic && <p class="topic">{r.topic}</p>}
            <p class="hint">
              {r.members} member{r.members === 1 ? "" : "s"}, {r.online} online
            </p>
          </li>
        ))}
      </ul>
      <p aria-live="polite" class="hint">
        {state.value === "loading"
          ? "Loading…"
          : state.value === "failed"
          ? "The directory could not be loaded."
          : rooms.value.length === 0
          ? "No public rooms yet."
          : ""}
      </p>
      {(next.value || state.value === "failed") && (
        <button
          type="button"
          class="button"
          disabled={state.value === "loading"}
          onClick={() => load(next.value)}
        >
          {state.value === "failed" ? "Try again" : "More rooms"}
        </button>
      )}
    </Modal>
  );
}
