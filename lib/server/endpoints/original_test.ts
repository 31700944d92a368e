import { expect } from "expect";
import { Chat } from "@/lib/server/chat/chat.ts";
import { loadConfig } from "@/lib/server/config.ts";
import { serveLegacy } from "./original.ts";

/**
 * Serves the original room endpoint as "quick" in "general", with an account
 * lookup slow enough that the name claim is still pending while the client
 * talks.
 */
async function withSlowClaims(
  fn: (chat: Chat, url: string) => Promise<void>,
): Promise<void> {
  const config = loadConfig({ KV_PATH: ":memory:", LOG_LEVEL: "fatal" });
  const chat = await Chat.open({
    config,
    isReserved: () => new Promise((r) => setTimeout(() => r(false), 150)),
  });
  const server = Deno.serve({
    port: 0,
    hostname: "127.0.0.1",
    onListen: () => {},
  }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req);
    serveLegacy(chat, socket, "room", "quick", "general");
    return response;
  });
  try {
    await fn(chat, `ws://127.0.0.1:${server.addr.port}/`);
  } finally {
    chat.hub.closeAll(1001, "Test over");
    await server.shutdown();
    await chat.close();
  }
}

Deno.test("legacy - frames sent while the name is still being claimed are kept, in order", async () => {
  await withSlowClaims(async (chat, url) => {
    const ws = new WebSocket(url);
    const got: string[] = [];
    ws.onmessage = (e) => got.push(e.data);
    ws.onopen = () => {
      ws.send("one");
      ws.send("two");
    };
    const deadline = Date.now() + 3000;
    while (
      got.filter((f) =>
        f.includes('"sender":"quick","message"') && !f.includes("입장")
      ).length < 2
    ) {
      if (Date.now() > deadline) {
        throw new Error(`lost: ${JSON.stringify(got)}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const history = await chat.store.history("general", 10);
    expect(history.messages.map((m) => m.text)).toEqual(["one", "two"]);
    ws.close();
    await new Promise((r) => ws.onclose = r);
  });
});

Deno.test("legacy - a socket closed while its name is being claimed leaves no member and no hold", async () => {
  await withSlowClaims(async (chat, url) => {
    const ws = new WebSocket(url);
    ws.onopen = () => ws.close();
    await new Promise((r) => ws.onclose = r);
    await new Promise((r) => setTimeout(r, 400));
    expect(chat.hub.isOnline("quick")).toBe(false);
    expect(await chat.identities.isHeld("quick")).toBe(false);
  });
});
