import type { VNode } from "preact";
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { currentGuestToken } from "@/lib/client/history.ts";
import { formatSize } from "@/lib/shared/file_size.ts";

/** One upload as the bar shows it. */
interface Progress {
  key: number;
  name: string;
  size: number;
  stored: number;
  error?: string;
}

let nextKey = 0;

/** Where the open thread's panel is: files dropped on it go to the thread. */
const THREAD_PANEL = "#thread";

/**
 * Uploads into the open room: the Attach button, files dropped anywhere on
 * the page, and files pasted into the message box (a screenshot in the
 * clipboard); each shows a progress bar until its message arrives, or the
 * server's reason it was refused. Images get a thumbnail made here first.
 * The upload code loads on the first upload. With `parent`, the bar of an
 * open thread: its files are replies there, dropped on the thread's panel
 * or pasted into its reply box, and the room's bar leaves those to it.
 */
export function UploadBar(
  { room, parent, alsoInRoom, pasteInto = "composer", onPosted }: {
    room: string;
    /** A thread's first message: files go to that thread. */
    parent?: number;
    /** For a thread's files: whether they show in the room too, as they start. */
    alsoInRoom?: () => boolean;
    /** The id of the message box files pasted into go here. */
    pasteInto?: string;
    /** Told of each file's message once posted (one's own, to edit or delete). */
    onPosted?: (room: string, id: number) => void;
  },
): VNode {
  const uploads = useSignal<Progress[]>([]);

  const update = (key: number, change: Partial<Progress>) => {
    uploads.value = uploads.value.map((u) =>
      u.key === key ? { ...u, ...change } : u
    );
  };
  const start = (files: Iterable<File>) => {
    const toRoomToo = alsoInRoom?.() ?? false;
    for (const file of files) {
      const key = nextKey++;
      uploads.value = [...uploads.value, {
        key,
        name: file.name || "pasted image",
        size: file.size,
        stored: 0,
      }];
      (async () => {
        // The upload code loads on the first upload, not with the page.
        const up = await import("@/lib/client/uploads.ts");
        const thumbnail = await up.makeThumbnail(file) ?? undefined;
        const { message } = await up.uploadFile(room, file, {
          guestToken: currentGuestToken(),
          thumbnail,
          parent,
          alsoInRoom: toRoomToo,
          onProgress: (stored) => update(key, { stored }),
        });
        if (message) onPosted?.(message.room, message.id);
        uploads.value = uploads.value.filter((u) => u.key !== key);
      })().catch((error) =>
        update(key, {
          // The server's reason (an `UploadError`), else the network's fault.
          error: error?.name === "UploadError"
            ? error.message
            : "The upload failed: check the connection and try again",
        })
      );
    }
  };

  useEffect(() => {
    const hasFiles = (e: DragEvent) =>
      e.dataTransfer?.types.includes("Files") ?? false;
    const over = (e: DragEvent) => {
      if (hasFiles(e)) e.preventDefault();
    };
    const drop = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      // Never the browser's (opening the file in place of the chat).
      e.preventDefault();
      // On the thread's panel for the thread's bar, anywhere else the room's.
      const onThread = (e.target as Element | null)?.closest?.(THREAD_PANEL);
      if (Boolean(onThread) !== (parent !== undefined)) return;
      start(e.dataTransfer!.files);
    };
    const paste = (e: ClipboardEvent) => {
      const files = e.clipboardData?.files;
      // Only into this bar's message box: elsewhere (the other box, search,
      // a form) a pasted file is not meant for here.
      if (!files?.length || (e.target as Element).id !== pasteInto) return;
      e.preventDefault();
      start(files);
    };
    document.addEventListener("dragover", over);
    document.addEventListener("drop", drop);
    document.addEventListener("paste", paste);
    return () => {
      document.removeEventListener("dragover", over);
      document.removeEventListener("drop", drop);
      document.removeEventListener("paste", paste);
    };
  }, [room, parent]);

  return (
    <div class="upload-bar">
      <label class="button attach">
        Attach
        <input
          type="file"
          class="sr-only"
          aria-label={parent === undefined ? undefined : "Attach to the thread"}
          multiple
          onChange={(e) => {
            const input = e.currentTarget;
            start([...(input.files ?? [])]);
            input.value = "";
          }}
        />
      </label>
      {uploads.value.length > 0 && (
        <ul class="uploads" aria-live="polite">
          {uploads.value.map((u) => (
            <li key={u.key} class={u.error ? "error" : undefined}>
              <span class="file-name">{u.name}</span> {u.error
                ? (
                  <>
                    <span role="alert">{u.error}</span>{" "}
                    <button
                      type="button"
                      class="link"
                      onClick={() =>
                        uploads.value = uploads.value.filter((x) =>
                          x.key !== u.key
                        )}
                    >
                      Dismiss
                    </button>
                  </>
                )
                : (
                  <progress
                    max={u.size}
                    value={u.stored}
                    aria-label={`Uploading ${u.name}: ${
                      formatSize(u.stored)
                    } of ${formatSize(u.size)}`}
                  />
                )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
