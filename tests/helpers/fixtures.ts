/**
 * Sample data shared by tests.
 *
 * @module
 */
import type { ChatMessage } from "@/lib/shared/protocol.ts";

/** A guest's edited message with every optional field set, for round trips. */
export const guestMessage: Required<ChatMessage> = {
  id: 7,
  room: "general",
  user: "guest-42",
  text: "hello from a guest",
  ts: 1_700_000_000_123,
  clientId: "c-1",
  edited: true,
  deleted: false,
  guest: true,
};
