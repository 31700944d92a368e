/**
 * The three wire formats a client can speak, and how a message or a notice
 * looks in each: the native protocol's JSON frames (`v1`), the original room
 * endpoint's `{sender, message, room_id}` objects (`original_room`), and the
 * original client endpoint's `user: text` lines (`original_client`).
 *
 * @module
 */
import type { ChatMessage, ServerFrame } from "@/lib/shared/protocol.ts";
import { SYSTEM_NAME } from "@/lib/shared/names.ts";

/** How a client wants its frames. */
export type WireFormat = "v1" | "original_room" | "original_client";

/** Sender name of the original project's system notices. */
const SYSTEM_SENDER = SYSTEM_NAME;

/** How a native `message` frame starts, before the message's own fields. */
const MESSAGE_HEAD = '{"type":"message",';

/** A native-protocol frame as sent. */
export function frameData(frame: ServerFrame): string {
  return JSON.stringify(frame);
}

/** One frame of the original room endpoint. */
function roomLine(
  sender: string,
  message: string,
  room: string,
): string {
  return JSON.stringify({ sender, message, room_id: room });
}

/**
 * Whether a client of `format` is sent `m`: the original endpoints never
 * are sent stored membership events (their formats have no place for them).
 */
export function shows(format: WireFormat, m: ChatMessage): boolean {
  return format === "v1" || m.event === undefined;
}

/** A chat message in `format`. */
export function messageData(format: WireFormat, m: ChatMessage): string {
  switch (format) {
    case "v1":
      // The message's own JSON with `type` put in front: the same text as
      // `frameData({ type: "message", ...m })` without copying the message
      // (half the time of it, once per message and wire format).
      return MESSAGE_HEAD + JSON.stringify(m).slice(1);
    case "original_room":
      return roomLine(m.user, m.text, m.room);
    case "original_client":
      return `${m.user}: ${m.text}`;
  }
}

/** A system notice (e.g. a refusal) for the original endpoints. */
export function noticeData(
  format: Exclude<WireFormat, "v1">,
  text: string,
  room: string,
): string {
  return format === "original_room"
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
