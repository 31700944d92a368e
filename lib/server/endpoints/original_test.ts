import { expect } from "expect";
import { Chat } from "@/lib/server/chat/chat.ts";
import { loadConfig } from "@/lib/server/config.ts";
import { serveOriginal } from "./original.ts";
import { MAX_EARLY_FRAMES } from "./frame_guard.ts";
import { until } from "@/tests/helpers/until.ts";

/**
 * Serves the original room endpoint as "quick" in "general", with an account
 * lookup slow enough that the name claim is still pending while the client
 * talks.
 */
async function withSlowClaims(
  fn: (chat: Chat, url: string, answered: () => number) => Promise<void>,
): Promise<void> {
  const config = loadConfig({ KV_PATH: ":memory:", LOG_LEVEL: "fatal" });
  let answered = 0;
  const chat = await Chat.open({
    config,
    isReserved: () =>
      new Promise((r) =>
        setTimeout(() => {
          answered++;
          r(false);
        }, 150)
      ),
  });
  const server = Deno.serve({
    port: 0,
    hostname: "127.0.0.1",
    onListen: () => {},
  }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req);
    serveOriginal(chat, socket, "original_room", "quick", "general");
    return response;
  });
  try {
    await fn(chat, `ws://127.0.0.1:${server.addr.port}/`, () => answered);
  } finally {
    chat.disconnectAll(1001, "Test over");
    await server.shutdown();
    await chat.close();
  }
}

Deno.test("original - frames sent while the name is still being claimed are kept, in order", async () => {
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

Deno.test("original - a socket closed while its name is being claimed leaves no member and no hold", async () => {
  await withSlowClaims(async (chat, url, answered) => {
    const ws = new WebSocket(url);
    ws.onopen = () => ws.close();
    await new Promise((r) => ws.onclose = r);
    // The claim finishes after the close; then it must be given back.
    await until(() => answered() > 0, { what: "the account lookup" });
    await until(async () => !(await chat.identities.isHeld("quick")), {
      what: "the name to be released",
    });
    expect(chat.metrics.connections.value).toBe(0);
  });
});

Deno.test("original - frames while the name is claimed wait up to a bound; one more closes 1008", async () => {
  await withSlowClaims(async (_chat, url) => {
    const ws = new WebSocket(url);
    const closed = new Promise<CloseEvent>((r) => ws.onclose = r);
    ws.onopen = () => {
      for (let i = 0; i <= MAX_EARLY_FRAMES; i++) ws.send(`early ${i}`);
    };
    const close = await closed;
    expect([close.code, close.reason]).toEqual([
      1008,
      "Too many frames before joining",
    ]);
  });
});
