import type { VNode } from "preact";
import type { PresenceUser } from "@/lib/shared/protocol.ts";

/** Who is online in the room, guests marked, and who is typing. */
export function Members(
  { users, typing, me }: {
    users: PresenceUser[];
    typing: string[];
    me: string;
  },
): VNode {
  return (
    <>
      <h2 class="side-title">Online — {users.length}</h2>
      <ul class="members-list">
        {users.map((u) => (
          <li
            key={u.name}
            class={typing.includes(u.name) ? "typing" : undefined}
          >
            <span class="dot" aria-hidden="true" />
            <bdi class="name">{u.name}</bdi>
            {u.name === me && <span class="tag">you</span>}
            {u.guest && <span class="tag">guest</span>}
            {typing.includes(u.name) && <span class="sr-only">(typing)</span>}
          </li>
        ))}
      </ul>
    </>
  );
}
