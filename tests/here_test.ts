/**
 * `@here` over real sockets: a message naming it counts as a mention for
 * every member of the room who is online at that moment, in the mention
 * badge of `welcome` and `read`; not for the sender, nor for members who
 * are away or offline, nor in other rooms.
 */
import { expect } from "expect";
import { withServer } from "@/tests/helpers/server.ts";
import type { Client, Frame } from "@/tests/helpers/ws_client.ts";
import {
  join,
  open,
  say,
  welcome,
  welcomeRooms,
} from "@/tests/helpers/members.ts";

/** The mention count of `room` a new socket of the guest `token` is welcomed with. */
async function mentionsOf(
  s: { url: string },
  name: string,
  token: string,
  room = "general",
): Promise<number> {
  const c = await open(s, name, { token });
  const mentions = welcomeRooms(c).get(room)?.mentions as number;
  await c.close();
  return mentions;
}

/** Keeps `active` sockets busy until `name` shows as away to `asker`. */
async function waitAway(asker: Client, active: Client[], name: string) {
  const end = Date.now() + 20_000;
  for (;;) {
    for (const c of active) c.send({ type: "ping" });
    const seen = asker.of("members").length;
    asker.send({ type: "members", room: "general" });
    const page = await asker.until(() => asker.of("members")[seen]);
    const users = page.users as { name: string; status: string }[];
    if (users.find((u) => u.name === name)?.status === "away") return;
    if (Date.now() > end) throw new Error(`${name} never went away`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

Deno.test("here - @here counts as a mention for the members online in the room, not for the sender, the away or the offline", async () => {
  await withServer({ AWAY_AFTER_MS: "1000" }, async (s) => {
    const people = new Map<string, { c: Client; token: string }>();
    for (const name of ["ana", "bo", "cy", "dee"]) {
      const c = await open(s, name);
      await join(c, "general");
      await join(c, "random");
      people.set(name, { c, token: welcome(c).token as string });
    }
    const [ana, bo, cy, dee] = ["ana", "bo", "cy", "dee"].map((n) =>
      people.get(n)!
    );
    // dee goes offline (still a member); cy stays connected but idle.
    await dee.c.close();
    await waitAway(ana.c, [ana.c, bo.c], "cy");

    await say(bo.c, "general", "standup in 5, @HERE");
    await say(bo.c, "random", "nothing for @here to see in general");
    await ana.c.until(() =>
      ana.c.of("message").some((m: Frame) => m.room === "random")
    );
    expect(await mentionsOf(s, "ana", ana.token)).toBe(1);
    expect(await mentionsOf(s, "bo", bo.token)).toBe(0);
    expect(await mentionsOf(s, "cy", cy.token)).toBe(0);
    expect(await mentionsOf(s, "dee", dee.token)).toBe(0);

    // Once every 30 s per person and room: bo's next @here there is
    // refused, not stored; elsewhere, or by someone else, it goes.
    bo.c.send({
      type: "send",
      room: "general",
      text: "@here again",
      clientId: "again",
    });
    const refused = await bo.c.next(
      "error",
      (f) => (f.frame as { clientId?: string })?.clientId === "again",
    );
    expect(refused.code).toBe("rate_limited");
    expect(refused.message).toMatch(
      /^@here can be used once every 30 s in a room: wait \d+ s/,
    );
    expect(bo.c.of("ack").some((f) => f.clientId === "again")).toBe(false);
    // Named and @here at once is still one mention; reading clears it.
    await say(cy.c, "general", "@ana @here once more");
    expect(await mentionsOf(s, "ana", ana.token)).toBe(2);
    const last = await say(bo.c, "general", "thanks");
    ana.c.send({ type: "read", room: "general", id: last });
    expect(
      await ana.c.next("read", (f) => f.lastRead === last),
    ).toMatchObject({ unread: 0, mentions: 0 });
    await Promise.all([ana.c.close(), bo.c.close(), cy.c.close()]);
  });
});

Deno.test("here - an @here refused before it was stored (text too long) doesn't use up the person's @here", async () => {
  await withServer({ MAX_TEXT_BYTES: "100" }, async (s) => {
    const bo = await open(s, "bo");
    await join(bo, "general");
    bo.send({
      type: "send",
      room: "general",
      text: `@here ${"x".repeat(200)}`,
      clientId: "long",
    });
    const refused = await bo.next(
      "error",
      (f) => (f.frame as { clientId?: string })?.clientId === "long",
    );
    expect(refused.code).toBe("text_too_long");
    await say(bo, "general", "@here short enough");
    await bo.close();
  });
});
