import type { VNode } from "preact";

/** In place of the composer while previewing a room one is not a member of. */
export function JoinBar(
  { room, onJoin }: { room: string; onJoin: () => void },
): VNode {
  return (
    <div class="join-bar">
      <p>You are previewing #{room}. Join to post and to follow it.</p>
      <button type="button" class="button" onClick={onJoin}>
        Join #{room}
      </button>
    </div>
  );
}
