/**
 * Checks for data the browser receives — server frames, history pages,
 * stored outboxes — so a malformed value is dropped rather than trusted.
 * Hand-written and small: a schema library would double the page's script.
 *
 * @module
 */
import type {
  ChatMessage,
  DirectoryRoom,
  ServerFrame,
} from "@/lib/shared/protocol.ts";
import type { Pending } from "./outbox.ts";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Whether `v` is a chat message as the server sends it. */
export function isChatMessage(v: unknown): v is ChatMessage {
  return isObject(v) && Number.isSafeInteger(v.id) &&
    typeof v.room === "string" && typeof v.user === "string" &&
    typeof v.text === "string" && typeof v.ts === "number";
}

/** Whether `v` looks like a server frame (an object with a known `type`). */
export function isServerFrame(v: unknown): v is ServerFrame {
  if (!isObject(v) || typeof v.type !== "string") return false;
  return v.type === "message" ? isChatMessage(v) : true;
}

/** A history page, or `null` when `v` isn't one. */
export function asHistoryPage(
  v: unknown,
): { messages: ChatMessage[]; hasMore: boolean } | null {
  if (!isObject(v) || !Array.isArray(v.messages)) return null;
  if (!v.messages.every(isChatMessage)) return null;
  return { messages: v.messages, hasMore: v.hasMore === true };
}

/** Whether `v` is a room as the directory lists it. */
function isDirectoryRoom(v: unknown): v is DirectoryRoom {
  return isObject(v) && typeof v.id === "string" &&
    typeof v.name === "string" && Number.isSafeInteger(v.members) &&
    Number.isSafeInteger(v.online) &&
    (v.topic === undefined || typeof v.topic === "string");
}

/** A directory page, or `null` when `v` isn't one. */
export function asDirectoryPage(
  v: unknown,
): { rooms: DirectoryRoom[]; next?: string } | null {
  if (!isObject(v) || !Array.isArray(v.rooms)) return null;
  if (!v.rooms.every(isDirectoryRoom)) return null;
  return typeof v.next === "string"
    ? { rooms: v.rooms, next: v.next }
    : { rooms: v.rooms };
}

/** Whether `v` is an outbox entry. */
export function isPending(v: unknown): v is Pending {
  return isObject(v) && typeof v.room === "string" &&
    typeof v.text === "string" && typeof v.clientId === "string" &&
    typeof v.ts === "number" &&
    (v.error === undefined || typeof v.error === "string") &&
    (v.parent === undefined || Number.isSafeInteger(v.parent)) &&
    (v.alsoInRoom === undefined || typeof v.alsoInRoom === "boolean");
}
