import type { VNode } from "preact";

/**
 * In place of the composer while previewing a room one is not a member of;
 * for a private room one was removed from, says so (only an invite brings
 * one back).
 */
export function JoinBar(
  { room, onJoin, removed = false }: {
    room: string;
    onJoin: () => void;
    removed?: boolean;
  },
): VNode {
  if (removed) {
    return (
      <div class="join-bar">
        <p>
          You were removed from this private room. Only an invite brings you
          back.
        </p>
      </div>
    );
  }
  return (
    <div class="join-bar">
      <p>You are previewing #{room}. Join to post and to follow it.</p>
      <button type="button" class="button" onClick={onJoin}>
        Join #{room}
      </button>
    </div>
  );
}
