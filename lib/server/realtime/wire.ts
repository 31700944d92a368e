/**
 * The three wire formats a client can speak, and how a message or a notice
 * looks in each: the native protocol's JSON frames, the original room
 * endpoint's `{sender, message, room_id}` objects, and the seed endpoint's
 * `user: text` lines.
 *
 * @module
 */
import type { ChatMessage, ServerFrame } from "@/lib/shared/protocol.ts";

/** How a client wants its frames. */
export type WireFormat = "v1" | "room" | "seed";

/** Sender name of the original project's system notices. */
export const SYSTEM_SENDER = "시스템";

/** A native-protocol frame as sent. */
export function frameData(frame: ServerFrame): string {
  return JSON.stringify(frame);
}

/** One frame of the original room endpoint. */
export function roomLine(
  sender: string,
  message: string,
  room: string,
): string {
  return JSON.stringify({ sender, message, room_id: room });
}

/** A chat message in `format`. */
export function messageData(format: WireFormat, m: ChatMessage): string {
  switch (format) {
    case "v1":
      return frameData({ type: "message", ...m });
    case "room":
      return roomLine(m.user, m.text, m.room);
    case "seed":
      return `${m.user}: ${m.text}`;
  }
}

/** A system notice (e.g. a refusal) for the original endpoints. */
export function noticeData(
  format: Exclude<WireFormat, "v1">,
  text: string,
  room: string,
): string {
  return format === "room"
    ? roomLine(SYSTEM_SENDER, text, room)
    : `${SYSTEM_SENDER}: ${text}`;
}

/** The original room endpoint's join or leave line. */
export function joinLeaveLine(
  user: string,
  kind: "joined" | "left",
  room: string,
): string {
  return roomLine(
    SYSTEM_SENDER,
    kind === "joined"
      ? `${user}님이 입장했습니다.`
      : `${user}님이 퇴장했습니다.`,
    room,
  );
}
