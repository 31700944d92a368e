import type { VNode } from "preact";
import type { PresenceUser } from "@/lib/shared/protocol.ts";
import { displayName } from "@/lib/shared/text.ts";

/**
 * Who else is typing in the room (up to three names, else two and how many
 * others), politely announced.
 */
export function TypingLine(
  { typing, members, me }: {
    typing: string[];
    members: PresenceUser[];
    me: string;
  },
): VNode {
  const names = typing.filter((u) => u !== me).map((u) =>
    displayName(u, members.find((m) => m.name === u)?.guest ?? true)
  );
  return (
    <p class="typing-line" aria-live="polite">
      {names.length === 0
        ? ""
        : names.length === 1
        ? `${names[0]} is typing…`
        : names.length <= 3
        ? `${names.join(", ")} are typing…`
        : `${names.slice(0, 2).join(", ")} and ${
          names.length - 2
        } others are typing…`}
    </p>
  );
}
