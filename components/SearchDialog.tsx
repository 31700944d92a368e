import type { VNode } from "preact";
import { useSignal } from "@preact/signals";
import type { SearchResult } from "@/lib/shared/search.ts";
import { readableHighlights, searchMessages } from "@/lib/client/search.ts";
import type { MyRoom } from "@/lib/shared/protocol.ts";
import { Modal } from "./Modal.tsx";
import { roomRef } from "./Sidebar.tsx";

/** Props of {@link SearchDialog}. */
export interface SearchDialogProps {
  /** The reader's rooms: a hit names its room as the sidebar does (@person for a DM). */
  rooms: readonly MyRoom[];
  /**
   * Opens `room` at message `id`, with the history around it (or, for a
   * reply shown only in its thread, that thread at the reply).
   */
  onJump: (room: string, id: number, thread?: number) => void;
  /** Closes the dialog. */
  onClose: () => void;
}

/**
 * Search of the messages in one's rooms: Korean, Japanese and Chinese as
 * well as space-separated words; the matches are marked, guests' names
 * too, and a result opens its room at the message.
 */
export function SearchDialog(props: SearchDialogProps): VNode {
  const results = useSignal<SearchResult[]>([]);
  const next = useSignal<string | undefined>(undefined);
  const status = useSignal("");
  const query = useSignal("");
  /** The query the results are of: "More results" pages it, not the box. */
  const searched = useSignal("");

  /** The latest search asked: an earlier one's late answer is dropped. */
  const asked = useSignal(0);

  async function run(q: string, before?: string) {
    const mine = ++asked.value;
    status.value = "Searching…";
    const out = await searchMessages(q, before);
    if (mine !== asked.peek()) return;
    if ("error" in out) {
      // What is listed stays what it was, and pages as it did.
      status.value = out.error;
      return;
    }
    searched.value = q;
    results.value = before ? [...results.value, ...out.results] : out.results;
    next.value = out.next;
    const n = results.value.length;
    status.value = n === 0
      ? "No messages found"
      : `${n}${out.next ? "+" : ""} message${n === 1 ? "" : "s"} found`;
  }

  return (
    <Modal title="Search messages" id="search-title" onClose={props.onClose}>
      <form
        class="search-form"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          const q = query.value.trim();
          if (q) {
            run(q);
          }
        }}
      >
        <input
          type="search"
          aria-label="Search messages"
          placeholder="Words to find"
          maxLength={200}
          autoFocus
          value={query.value}
          onInput={(e) =>
            query.value = e.currentTarget.value}
        />
        <button type="submit">Search</button>
      </form>
      <p class="search-status" role="status">{status}</p>
      <ul class="search-results">
        {results.value.map((r) => (
          <li key={`${r.room}:${r.id}`}>
            <button
              type="button"
              class="search-hit"
              onClick={() => props.onJump(r.room, r.id, r.thread)}
            >
              <span class="where">
                {roomRef(props.rooms, r.room)} · <bdi>{r.user}</bdi>
                {r.guest && <span class="tag">guest</span>} ·{" "}
                {new Date(r.ts).toLocaleString()}
              </span>
              <span class="text">
                {readableHighlights(r.text, r.highlights).map((part, i) =>
                  part.mark ? <mark key={i}>{part.text}</mark> : part.text
                )}
              </span>
            </button>
          </li>
        ))}
      </ul>
      {next.value && (
        <button
          type="button"
          class="link"
          onClick={() => run(searched.value, next.value)}
        >
          More results
        </button>
      )}
    </Modal>
  );
}
