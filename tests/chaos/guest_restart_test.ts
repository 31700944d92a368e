/**
 * A guest's identity is its token, kept in the store: after a SIGKILL and a
 * restart the token gets its name back ahead of a newcomer, and a resend of
 * an acknowledged message is recognised, not stored twice.
 */
import { expect } from "expect";
import { freePort, spawnServer } from "@/tests/helpers/process.ts";
import { Client } from "@/tests/helpers/ws_client.ts";

const ws = (url: string, q: Record<string, string>) =>
  `${url.replace("http", "ws")}/ws?${new URLSearchParams(q)}`;

async function guest(url: string, q: Record<string, string>) {
  const c = new Client(ws(url, q));
  const welcome = await c.next("welcome");
  c.send({ type: "join", room: "general" });
  await c.next("joined");
  return {
    c,
    name: (welcome.user as { name: string }).name,
    token: welcome.token as string,
  };
}

async function send(c: Client, text: string, clientId: string) {
  c.send({ type: "send", room: "general", text, clientId });
  return await c.next("ack", (f) => f.clientId === clientId);
}

Deno.test("guest identity - after SIGKILL and restart the token holder gets its name back and its resend is not stored twice", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat_guest_restart_" });
  const port = freePort();
  const env = { KV_PATH: `${dir}/chat.kv` };
  try {
    let server = await spawnServer(port, env);
    const alice = await guest(server.url, { name: "alice" });
    expect(alice.name).toBe("alice");
    const first = await send(alice.c, "hello", "c-1");
    await server.stop("SIGKILL");
    await alice.c.closed;

    server = await spawnServer(port, env);
    try {
      // Someone else asks for "alice" first.
      const impostor = await guest(server.url, { name: "alice" });
      expect(impostor.name).toBe("alice-2");
      const back = await guest(server.url, {
        name: "alice",
        token: alice.token,
      });
      expect(back.name).toBe("alice");
      const resent = await send(back.c, "hello", "c-1");
      expect(resent).toMatchObject({ id: first.id, duplicate: true });
      // Her message is still hers to edit; not the impostor's.
      impostor.c.send({
        type: "edit",
        room: "general",
        id: first.id,
        text: "pwned",
      });
      expect(
        (await impostor.c.next(
          "error",
          (f) => (f.frame as { type?: string })?.type === "edit",
        )).code,
      ).toBe("forbidden");
      back.c.send({
        type: "edit",
        room: "general",
        id: first.id,
        text: "hello!",
      });
      await back.c.next("edited", (f) => f.id === first.id);
      const history = await (await fetch(
        `${server.url}/api/rooms/general/messages`,
      )).json();
      expect(
        history.messages.filter((m: { text: string }) =>
          m.text.startsWith("hello")
        ).length,
      ).toBe(1);
      await Promise.all([impostor.c.close(), back.c.close()]);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("guest identity - a resend is recognised by token even under another name", async () => {
  const port = freePort();
  const server = await spawnServer(port, { KV_PATH: ":memory:" });
  try {
    const a = await guest(server.url, { name: "alice" });
    const first = await send(a.c, "once", "c-9");
    await a.c.close();
    // Back with the same token under another name (e.g. the old one was taken).
    const b = await guest(server.url, { name: "alicia", token: a.token });
    expect(b).toMatchObject({ name: "alicia", token: a.token });
    expect(await send(b.c, "once", "c-9")).toMatchObject({
      id: first.id,
      duplicate: true,
    });
    await b.c.close();
  } finally {
    await server.stop();
  }
});
