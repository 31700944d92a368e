/**
 * One room on one instance: its local subscribers ("members" here: sockets,
 * not the durable membership), the sequencer that puts its messages in
 * order, and fan-out of its events to them in their wire formats —
 * serialised once per message and format, never per recipient.
 *
 * @module
 */
import {
  type ChatMessage,
  CLOSE,
  type ServerFrame,
} from "@/lib/shared/protocol.ts";
import type { Logger } from "@/lib/server/log.ts";
import type { Metrics } from "@/lib/server/metrics.ts";
import type { Client } from "./hub.ts";
import { type MessageSource, Sequencer } from "./sequencer.ts";
import { frameData, messageData, shows, type WireFormat } from "./wire.ts";

/** A client's membership in one room. */
export interface Member {
  /** The member. */
  client: Client;
  /** Messages held while the join replays history; null once live. */
  pending: ChatMessage[] | null;
}

/** What a {@link Room} needs from the hub around it. */
export interface RoomOptions {
  /** The room's id. */
  id: string;
  /** Where missing messages are read from. */
  source: MessageSource;
  /** Sends one serialised frame to a client, minding backpressure. */
  send: (client: Client, data: string) => void;
  /** Closes a client's connection. */
  drop: (client: Client, code: number, reason: string) => void;
  /** Called with each message as it is delivered, before the members get it. */
  delivering: (message: ChatMessage) => void;
  /** Counters to update. */
  metrics: Metrics;
  /** How long to wait for a missing message before reading it. */
  gapWaitMs: number;
  /** Where problems are logged. */
  log: Logger;
}

/** Most messages a joining client may have held while its replay runs. */
const MAX_PENDING = 10_000;

/** One room's members here, and delivery to them. */
export class Room {
  /** Local members, each with its delivery state. */
  readonly members = new Set<Member>();
  /** Puts the room's messages in order, once each. */
  readonly sequencer: Sequencer;
  readonly #o: RoomOptions;

  /** Creates an empty room. */
  constructor(options: RoomOptions) {
    this.#o = options;
    this.sequencer = new Sequencer({
      room: options.id,
      source: options.source,
      deliver: (m) => this.#fanOut(m),
      gapWaitMs: options.gapWaitMs,
      log: options.log,
    });
  }

  /** Sends a native-protocol frame to every v1 member but `except` (a name). */
  toMembers(frame: ServerFrame, except?: string): void {
    const data = frameData(frame);
    for (const m of this.members) {
      if (m.client.format === "v1" && m.client.user.name !== except) {
        this.#o.send(m.client, data);
      }
    }
  }

  /** Sends an original room endpoint's line to those clients here. */
  toOriginal(line: string): void {
    for (const m of this.members) {
      if (m.client.format === "original_room") this.#o.send(m.client, line);
    }
  }

  /** Stops timers: the room has no members here any more. */
  close(): void {
    this.sequencer.close();
  }

  /** Sends one message, in order, to every member here. */
  #fanOut(message: ChatMessage): void {
    this.#o.delivering(message);
    // Serialised once per wire format, not per recipient.
    const data = new Map<WireFormat, string>();
    let n = 0;
    for (const member of this.members) {
      if (member.pending) {
        if (member.pending.length >= MAX_PENDING) {
          this.#o.drop(
            member.client,
            CLOSE.tryAgain,
            "Too far behind; reconnect",
          );
        } else member.pending.push(message);
        continue;
      }
      const c = member.client;
      if (!shows(c.format, message)) continue;
      let frame = data.get(c.format);
      if (frame === undefined) {
        data.set(c.format, frame = messageData(c.format, message));
      }
      this.#o.send(c, frame);
      n++;
    }
    this.#o.metrics.deliveries.inc(n);
  }
}
