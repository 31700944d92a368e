import { expect } from "expect";
import FakeTimers from "@sinonjs/fake-timers";
import { Identities, isGuestToken, NameError } from "./identity.ts";
import { KvNameClaims } from "./name_claims.ts";
import { nameKey } from "./name_skeleton.ts";

/** Waits until the shared hold on `name` shows its release (a short deadline). */
async function released(kv: Deno.Kv, name: string) {
  for (let i = 0; i < 200; i++) {
    const hold =
      (await kv.get<{ until: number }>(["names", nameKey(name)])).value;
    if (hold && hold.until < 60_000) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`the hold on ${name} was never released`);
}

function registry(reserved: string[] = []) {
  const clock = { now: 0 };
  const ids = new Identities({
    isReserved: (n) => Promise.resolve(reserved.includes(n.toLowerCase())),
    holdMs: 1000,
    now: () => clock.now,
  });
  return { ids, clock };
}

Deno.test("identity - guest names are unique regardless of case; a token gets its name back", async () => {
  const { ids } = registry();
  const mina = await ids.claimGuest("mina");
  expect(mina.name).toBe("mina");
  expect((await ids.claimGuest("MINA")).name).toBe("MINA-2");
  expect((await ids.claimGuest("mina", "not-the-token")).name).toBe("mina-3");
  const again = await ids.claimGuest("Mina", mina.token);
  expect(again).toEqual({ name: "mina", guest: true, token: mina.token });
});

Deno.test("identity - a guest name is held for its token a while after the last connection", async () => {
  const { ids, clock } = registry();
  const mina = await ids.claimGuest("mina");
  ids.release(mina);
  clock.now = 500;
  expect((await ids.claimGuest("mina")).name).toBe("mina-2");
  expect((await ids.claimGuest("mina", mina.token)).name).toBe("mina");
  ids.release(mina);
  clock.now = 2000;
  expect((await ids.claimGuest("mina")).name).toBe("mina");
});

Deno.test("identity - accounts' names are refused to guests; the original endpoints are refused outright", async () => {
  const { ids } = registry(["bob"]);
  expect((await ids.claimGuest("Bob")).name).toBe("Bob-2");
  await expect(ids.claimExact("bob")).rejects.toThrow(NameError);
  await ids.claimExact("carol");
  await expect(ids.claimExact("CAROL")).rejects.toThrow("connected already");
});

Deno.test("identity - an account taking a name ends a guest's hold, and the guest's release leaves it alone", async () => {
  const { ids } = registry();
  const guest = await ids.claimExact("dana");
  const account = ids.claimAccount("dana");
  expect(account).toEqual({ name: "dana", guest: false });
  ids.release(guest); // the guest's socket closes later
  expect(await ids.isHeld("dana")).toBe(true);
  ids.release(account);
  expect(await ids.isHeld("dana")).toBe(false);
});

/** Two instances' registries sharing claims in one KV, on a fake clock. */
async function withTwoInstances(
  fn: (
    one: Identities,
    two: Identities,
    clock: { now: number },
    kv: Deno.Kv,
  ) => Promise<void>,
): Promise<void> {
  const kv = await Deno.openKv(":memory:");
  const clock = { now: 0 };
  const make = () =>
    new Identities({
      isReserved: () => Promise.resolve(false),
      holdMs: 1000,
      now: () => clock.now,
      claims: new KvNameClaims(kv, () => clock.now),
      claimTtlMs: 60_000,
    });
  const one = make();
  const two = make();
  try {
    await fn(one, two, clock, kv);
  } finally {
    one.close();
    two.close();
    kv.close();
  }
}

Deno.test("identity - with shared claims, two instances never hand out one name twice", async () => {
  await withTwoInstances(async (one, two, clock, kv) => {
    const mina = await one.claimGuest("mina");
    expect(mina.name).toBe("mina");
    expect((await two.claimGuest("Mina")).name).toBe("Mina-2");
    await expect(two.claimExact("mina")).rejects.toThrow("connected already");
    // The same person, reconnecting to the other instance, keeps the name.
    one.release(mina);
    await released(kv, "mina");
    expect((await two.claimGuest("mina", mina.token)).name).toBe("mina");
    // A hold whose instance died lapses at its deadline.
    await one.claimExact("ghost");
    clock.now += 61_000;
    expect((await two.claimExact("ghost")).name).toBe("ghost");
  });
});

Deno.test("identity - a token not as issued names nobody: the guest gets a new one, and the next to send it is a stranger", async () => {
  await withTwoInstances(async (one, two) => {
    const first = await one.claimGuest("ok1", "garbage");
    expect(first.name).toBe("ok1");
    expect(isGuestToken(first.token)).toBe(true);
    expect(first.token).not.toBe("garbage");
    expect(first.issued).toBe(true);
    // Nothing was held under "garbage": the same made-up token is no key.
    expect((await two.claimGuest("ok2", "garbage")).token).not.toBe(
      "garbage",
    );
    expect((await two.claimGuest("ok1", "garbage")).name).toBe("ok1-2");
  });
});

Deno.test("identity - a lapsed hold isn't handed back once another instance has the name", async () => {
  await withTwoInstances(async (one, two, clock, kv) => {
    const mina = await one.claimGuest("mina");
    one.release(mina);
    await released(kv, "mina");
    clock.now = 5000; // the hold lapsed everywhere
    expect((await two.claimGuest("mina")).name).toBe("mina");
    // Back on the first instance with the old token: the name is someone else's now.
    expect((await one.claimGuest("mina", mina.token)).name).toBe("mina-2");
  });
});

Deno.test("identity - shared holds are renewed by age: a fresh one waits, an old one outlives its first deadline", async () => {
  const timers = FakeTimers.install({
    toFake: ["setInterval", "clearInterval"],
  });
  try {
    await withTwoInstances(async (one, two, clock, kv) => {
      const until = async (name: string) =>
        (await kv.get<{ until: number }>(["names", nameKey(name)])).value!
          .until;
      // Instance one's renewal looks every 10 s (a sixth of 60 s).
      clock.now = 9_000;
      await one.claimGuest("early");
      clock.now = 19_000;
      await one.claimGuest("late");
      expect(await until("early")).toBe(69_000);
      clock.now = 20_000;
      await timers.tickAsync(20_000);
      await one.claimGuest("flush"); // its commit follows the renewals'
      // 11 s old: not yet a third of 60 s; 1 s old: far from it.
      expect(await until("early")).toBe(69_000);
      expect(await until("late")).toBe(79_000);
      clock.now = 30_000;
      await timers.tickAsync(10_000);
      await one.claimGuest("flush-2");
      expect(await until("early")).toBe(90_000);
      expect(await until("late")).toBe(79_000);
      clock.now = 40_000;
      await timers.tickAsync(10_000);
      await one.claimGuest("flush-3");
      expect(await until("late")).toBe(100_000);
      // Past both first deadlines, the other instance still can't have them.
      clock.now = 80_000;
      await expect(two.claimExact("early")).rejects.toThrow(
        "connected already",
      );
      await expect(two.claimExact("late")).rejects.toThrow(
        "connected already",
      );
    });
  } finally {
    timers.uninstall();
  }
});

Deno.test("identity - lapsed guest holds are forgotten by the renewal rounds; one still within its hold stays", async () => {
  const timers = FakeTimers.install({
    toFake: ["setInterval", "clearInterval"],
  });
  try {
    await withTwoInstances(async (one, two, clock) => {
      // One-off names, as from a client reconnecting with a new name each time.
      for (let i = 0; i < 300; i++) {
        one.release(await one.claimGuest(`once${i}`));
      }
      clock.now = 500;
      const late = await one.claimGuest("late");
      one.release(late);
      expect(one.heldCount).toBe(301);
      // The hold time (1 s) passed for all but "late"; no release since.
      clock.now = 1200;
      await timers.tickAsync(10_000); // a renewal round
      expect(one.heldCount).toBe(1);
      // "late" is still held for its token, here and on the other instance.
      expect((await two.claimGuest("late")).name).toBe("late-2");
      expect((await one.claimGuest("late", late.token)).name).toBe("late");
      one.release(late);
      clock.now = 2500;
      await timers.tickAsync(10_000);
      expect(one.heldCount).toBe(0);
    });
  } finally {
    timers.uninstall();
  }
});

Deno.test("identity - without shared claims, a release forgets the guest holds that have lapsed", async () => {
  const { ids, clock } = registry();
  const held: string[] = [];
  for (let i = 0; i < 100; i++) {
    const guest = await ids.claimGuest(`once${i}`);
    ids.release(guest);
    held.push(guest.name);
  }
  clock.now = 600;
  const mina = await ids.claimGuest("mina");
  ids.release(mina);
  expect(ids.heldCount).toBe(101);
  clock.now = 1000; // the first 100 lapse; "mina" has 600 ms left
  ids.release(await ids.claimGuest("next"));
  expect(ids.heldCount).toBe(2);
  expect((await ids.claimGuest("mina")).name).toBe("mina-2");
  expect((await ids.claimGuest(held[0])).name).toBe(held[0]);
});
