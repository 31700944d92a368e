import { expect } from "expect";
import { SearchGate } from "./search_gate.ts";

Deno.test("search gate - an address over its budget is refused 429 until it refills; the server over its searches at once 503; others go on", async () => {
  let now = 0;
  const gate = new SearchGate({
    perSecond: 2,
    burst: 3,
    maxInFlight: 2,
    now: () => now,
  });
  const quick = () => Promise.resolve("hits");
  for (let i = 0; i < 3; i++) {
    expect(await gate.run("a", quick)).toEqual({ value: "hits" });
  }
  const over = await gate.run("a", quick);
  expect(over).toEqual({
    refusal: {
      status: 429,
      message: "Too many searches; wait a moment and try again",
      retryAfter: 1,
    },
  });
  // Another address has a budget of its own.
  expect(await gate.run("b", quick)).toEqual({ value: "hits" });
  // Half a second later, one more for "a".
  now += 500;
  expect(await gate.run("a", quick)).toEqual({ value: "hits" });
  expect("refusal" in await gate.run("a", quick)).toBe(true);

  // Two slow searches hold the server's slots: a third waits for nothing.
  let finish = () => {};
  const slow = () => new Promise<string>((r) => finish = () => r("slow"));
  const first = gate.run("c", slow);
  const finishFirst = finish;
  const second = gate.run("d", slow);
  expect(gate.inFlight).toBe(2);
  const busy = await gate.run("e", quick);
  expect("refusal" in busy && busy.refusal.status).toBe(503);
  finishFirst();
  finish();
  expect(await first).toEqual({ value: "slow" });
  expect(await second).toEqual({ value: "slow" });
  expect(gate.inFlight).toBe(0);
  // One address runs two at once at most, so it can't take every slot.
  const wide = new SearchGate({ maxInFlight: 8 });
  const ends: (() => void)[] = [];
  const held = () => new Promise<string>((r) => ends.push(() => r("held")));
  const two = [wide.run("g", held), wide.run("g", held)];
  const third = await wide.run("g", quick);
  expect("refusal" in third && third.refusal.status).toBe(429);
  expect(await wide.run("h", quick)).toEqual({ value: "hits" });
  for (const end of ends) end();
  await Promise.all(two);
  expect(await wide.run("g", quick)).toEqual({ value: "hits" });
  // A search that fails gives its slot back.
  await expect(gate.run("f", () => Promise.reject(new Error("down"))))
    .rejects.toThrow("down");
  expect(gate.inFlight).toBe(0);
});
