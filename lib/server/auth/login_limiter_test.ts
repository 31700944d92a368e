import { expect } from "expect";
import { IP_FACTOR, LoginLimiter } from "./login_limiter.ts";

function limiter() {
  const clock = { now: 0 };
  const l = new LoginLimiter({
    maxAttempts: 10,
    lockMs: 900_000,
    now: () => clock.now,
  });
  return { l, clock };
}

Deno.test("login limiter - slowed after half the failures, then locked", () => {
  const { l, clock } = limiter();
  for (let i = 0; i < 5; i++) {
    expect(l.check("1.2.3.4", "alice")).toEqual({ ok: true });
    l.fail("1.2.3.4", "alice");
  }
  // Slowed: 1 s, 2 s, 4 s, 8 s, 16 s between attempts.
  for (const delay of [1, 2, 4, 8, 16]) {
    expect(l.check("1.2.3.4", "alice")).toEqual({
      ok: false,
      retryAfterS: delay,
      locked: false,
    });
    clock.now += delay * 1000;
    expect(l.check("1.2.3.4", "alice").ok).toBe(true);
    l.fail("1.2.3.4", "alice");
  }
  expect(l.check("1.2.3.4", "alice")).toEqual({
    ok: false,
    retryAfterS: 900,
    locked: true,
  });
  // From other addresses the username is only slowed, never locked; a
  // known device of the account isn't slowed at all.
  expect(l.check("5.6.7.8", "ALICE")).toEqual({
    ok: false,
    retryAfterS: 1,
    locked: false,
  });
  expect(l.check("5.6.7.8", "alice", true)).toEqual({ ok: true });
  expect(l.check("5.6.7.8", "bob")).toEqual({ ok: true });
  clock.now += 900_000;
  expect(l.check("1.2.3.4", "alice")).toEqual({ ok: true });
});

Deno.test("login limiter - a success forgets the username's failures", () => {
  const { l } = limiter();
  for (let i = 0; i < 5; i++) l.fail("1.2.3.4", "alice");
  expect(l.check("1.2.3.4", "alice").ok).toBe(false);
  l.succeed("1.2.3.4", "alice");
  expect(l.check("1.2.3.4", "alice").ok).toBe(true);
});

Deno.test("login limiter - an address guessing many usernames is locked too", () => {
  const { l, clock } = limiter();
  const max = 10 * IP_FACTOR;
  for (let i = 0; i < max; i++) {
    clock.now += 61_000;
    expect(l.check("1.2.3.4", `user${i}`).ok).toBe(true);
    l.fail("1.2.3.4", `user${i}`);
  }
  expect(l.check("1.2.3.4", "fresh")).toMatchObject({
    ok: false,
    locked: true,
  });
  expect(l.check("9.9.9.9", "fresh")).toEqual({ ok: true });
});

Deno.test("login limiter - memory stays bounded, the stalest keys go first", () => {
  const l = new LoginLimiter({
    maxAttempts: 10,
    lockMs: 900_000,
    maxKeys: 100,
  });
  for (let i = 0; i < 5; i++) l.fail("10.0.0.1", "early");
  expect(l.check("10.0.0.1", "early").ok).toBe(false);
  for (let i = 0; i < 1000; i++) l.fail(`10.1.0.${i}`, `u${i}`);
  expect(l.check("10.0.0.1", "early").ok).toBe(true);
});

Deno.test("login limiter - guesses from many addresses slow a username down but never lock it", () => {
  const { l, clock } = limiter();
  let waited = 0;
  for (let i = 0; i < 200; i++) {
    const v = l.check(`10.0.${i}.1`, "alice");
    if (!v.ok) {
      expect(v.locked).toBe(false);
      expect(v.retryAfterS).toBeLessThanOrEqual(60);
      clock.now += v.retryAfterS * 1000;
      waited = Math.max(waited, v.retryAfterS);
    }
    l.fail(`10.0.${i}.1`, "alice");
  }
  expect(waited).toBe(60);
  // The owner's known device gets straight in; a new one waits at most a minute.
  expect(l.check("192.0.2.1", "alice", true)).toEqual({ ok: true });
  expect(l.check("192.0.2.1", "alice")).toMatchObject({ locked: false });
});
