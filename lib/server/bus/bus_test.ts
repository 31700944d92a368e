import { expect } from "expect";
import { type BusEvent, LocalBus, wireEvent } from "./bus.ts";
import { KvBus } from "./kv.ts";
import { guestMessage, presenceEvents } from "@/tests/helpers/fixtures.ts";
import { until } from "@/tests/helpers/until.ts";

Deno.test("bus - the wire schema keeps every field of a guest's message", () => {
  const event = { kind: "message", message: guestMessage };
  const parsed = wireEvent.parse(JSON.parse(JSON.stringify(event)));
  expect(parsed).toEqual(event);
});

Deno.test("bus - the wire schema keeps every field of presence and membership events", () => {
  for (const event of presenceEvents) {
    expect(wireEvent.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
  }
  expect(wireEvent.safeParse({ ...presenceEvents[0], seq: "3" }).success)
    .toBe(false);
});

Deno.test("bus - a guest's message crosses the local bus with every field", async () => {
  const bus = new LocalBus();
  const seen: BusEvent[] = [];
  bus.subscribe((e) => seen.push(e));
  await bus.publish({ kind: "message", message: guestMessage });
  expect(seen).toEqual([{ kind: "message", message: guestMessage }]);
  await bus.close();
});

Deno.test("bus - presence and membership events cross the local bus to every hub", async () => {
  const bus = new LocalBus();
  const [one, two]: BusEvent[][] = [[], []];
  bus.subscribe((e) => one.push(e));
  bus.subscribe((e) => two.push(e));
  for (const e of presenceEvents) await bus.publish(e);
  expect(one).toEqual(presenceEvents);
  expect(two).toEqual(presenceEvents);
  await bus.close();
});

Deno.test("bus - a guest's message crosses the KV bus to another instance with every field", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bus-fields-" });
  const kvA = await Deno.openKv(`${dir}/bus.kv`);
  const kvB = await Deno.openKv(`${dir}/bus.kv`);
  const a = await KvBus.open(kvA, { ownsKv: true });
  const b = await KvBus.open(kvB, { ownsKv: true });
  try {
    const seen: BusEvent[] = [];
    b.subscribe((e) => seen.push(e));
    await a.publish({ kind: "message", message: guestMessage });
    await until(() => seen.length > 0, { what: "the message on b" });
    expect(seen).toEqual([{ kind: "message", message: guestMessage }]);
  } finally {
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
});
