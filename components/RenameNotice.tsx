import type { VNode } from "preact";
import type { Signal } from "@preact/signals";
import type { Renamed } from "@/lib/client/hooks/use_connection.ts";

/**
 * Tells a guest the name it asked for was taken (by someone online or by an
 * account) and which one it got, with a way to log in; OK dismisses it for
 * good.
 */
export function RenameNotice(
  { renamed, room }: { renamed: Signal<Renamed | null>; room: string },
): VNode | null {
  const r = renamed.value;
  if (!r) return null;
  return (
    <p class="renamed" role="status">
      “{r.asked}” is taken, so you are chatting as <strong>{r.got}</strong>.
      {" "}
      If “{r.asked}” is your account,{" "}
      <a href={`/login?next=${encodeURIComponent(`/rooms/${room}`)}`}>
        log in
      </a>. ·{" "}
      <button
        type="button"
        class="link"
        onClick={() => {
          localStorage.setItem(`chat:renamed:${r.asked}`, r.got);
          renamed.value = null;
        }}
      >
        OK
      </button>
    </p>
  );
}
