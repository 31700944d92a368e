import { expect } from "expect";
import { Chat } from "./chat.ts";
import { loadConfig } from "./config.ts";
import { serveLegacy } from "./legacy.ts";

Deno.test("legacy - frames sent while the name is still being claimed are kept, in order", async () => {
  const config = loadConfig({ KV_PATH: ":memory:", LOG_LEVEL: "fatal" });
  // A slow account lookup keeps the claim pending while the client talks.
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
  const ws = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`);
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
    if (Date.now() > deadline) throw new Error(`lost: ${JSON.stringify(got)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const history = await chat.store.history("general", 10);
  expect(history.messages.map((m) => m.text)).toEqual(["one", "two"]);
  ws.close();
  await new Promise((r) => ws.onclose = r);
  chat.hub.closeAll(1001, "Test over");
  await server.shutdown();
  await chat.close();
});

Deno.test("legacy - a socket closed while its name is being claimed leaves no member and no hold", async () => {
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
  const ws = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`);
  ws.onopen = () => ws.close();
  await new Promise((r) => ws.onclose = r);
  await new Promise((r) => setTimeout(r, 400));
  expect(chat.hub.isOnline("quick")).toBe(false);
  expect(await chat.identities.isHeld("quick")).toBe(false);
  chat.hub.closeAll(1001, "Test over");
  await server.shutdown();
  await chat.close();
});
