import { expect } from "expect";
import { SESSION_TTL_MS, Sessions, sha256 } from "./login_sessions.ts";
import { KvSessions } from "@/lib/server/store/kv_records.ts";

async function withSessions(
  fn: (s: Sessions, kv: Deno.Kv, clock: { now: number }) => Promise<void>,
) {
  const kv = await Deno.openKv(":memory:");
  const clock = { now: 1_000_000 };
  try {
    await fn(
      new Sessions(new KvSessions(kv), { now: () => clock.now }),
      kv,
      clock,
    );
  } finally {
    kv.close();
  }
}

Deno.test("sessions - an id is 256 random bits and only its hash is stored", async () => {
  await withSessions(async (sessions, kv) => {
    const s = await sessions.create("alice");
    expect(s.id).toMatch(/^[\w-]{43}$/);
    expect((await sessions.create("alice")).id).not.toBe(s.id);
    const keys = (await Array.fromAsync(kv.list({ prefix: ["sessions"] })))
      .map((e) => e.key);
    expect(keys).toContainEqual(["sessions", sha256(s.id)]);
    expect(JSON.stringify(keys)).not.toContain(s.id);
    expect((await sessions.get(s.id))?.user).toBe("alice");
  });
});

Deno.test("sessions - a session expires after its time to live", async () => {
  await withSessions(async (sessions, _kv, clock) => {
    const s = await sessions.create("alice");
    clock.now += SESSION_TTL_MS - 1;
    expect(await sessions.get(s.id)).not.toBeNull();
    clock.now += 1;
    expect(await sessions.get(s.id)).toBeNull();
  });
});

Deno.test("sessions - creating with the old id rotates it; delete ends a session", async () => {
  await withSessions(async (sessions) => {
    const old = await sessions.create("alice");
    const rotated = await sessions.create("alice", old.id);
    expect(await sessions.get(old.id)).toBeNull();
    expect(await sessions.get(rotated.id)).not.toBeNull();
    await sessions.delete(rotated.id);
    expect(await sessions.get(rotated.id)).toBeNull();
  });
});

Deno.test("sessions - malformed ids are rejected without a lookup", async () => {
  await withSessions(async (sessions) => {
    for (const id of [undefined, "", "x", "a".repeat(44), "../../etc"]) {
      expect(await sessions.get(id)).toBeNull();
      await sessions.delete(id);
    }
  });
});
