/**
 * Sample data shared by tests.
 *
 * @module
 */
import type { ChatMessage } from "@/lib/shared/protocol.ts";
import type { BusEvent } from "@/lib/server/bus/bus.ts";

/**
 * A guest's edited message with every optional field set (but `event` and
 * `file`, which only membership events and uploads have), for round trips.
 */
export const guestMessage: Required<Omit<ChatMessage, "event" | "file">> = {
  id: 7,
  room: "general",
  user: "guest-42",
  text: "hello from a guest",
  ts: 1_700_000_000_123,
  clientId: "c-1",
  edited: true,
  deleted: false,
  guest: true,
  parent: 3,
  alsoInRoom: true,
  thread: { replies: 2, lastId: 9, lastTs: 1_700_000_000_456, users: ["bo"] },
};

/**
 * One of each event the hubs' presence and membership ride on the bus, with
 * every optional field set, for round trips through each bus.
 */
export const presenceEvents: BusEvent[] = [
  {
    kind: "people",
    instance: "i-1",
    seq: 3,
    people: [
      { name: "민수", guest: true, status: "away", rooms: ["general", "r2"] },
      { name: "ann", guest: false, status: "offline", rooms: [] },
    ],
  },
  {
    kind: "people",
    instance: "i-1",
    seq: 3,
    people: [{ name: "bo", guest: false, status: "online", rooms: ["x"] }],
    part: 1,
    parts: 2,
  },
  { kind: "instance", instance: "i-1", seq: 3, state: "hello", to: "i-2" },
  { kind: "instance", instance: "i-1", seq: 4, state: "bye" },
  {
    kind: "member",
    room: "design",
    name: "mina",
    guest: true,
    added: false,
    key: "guest:abc",
    reason: "removed",
  },
  {
    kind: "to_member",
    key: "account:mina",
    frame: {
      type: "read",
      room: "design",
      lastRead: 41,
      unread: 2,
      mentions: 1,
    },
  },
];
