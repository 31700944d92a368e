/**
 * Server rendering of a room page: `deno bench -A --unstable-kv bench/render_bench.ts`.
 *
 * Calls the app's handler directly (no socket), with the room seeded with
 * 50 messages through the chat service, as a sender would store them.
 *
 * @module
 */
import { createApp } from "@/main.ts";
import { loadConfig } from "@/lib/server/config.ts";
import { openServices } from "@/lib/server/services.ts";
import { applyBuild } from "@/tests/helpers/server.ts";
import type { Socket } from "@/lib/server/realtime/backpressure.ts";

const ROOM = "general";
const MESSAGES = 50;

const services = await openServices(
  loadConfig({ KV_PATH: ":memory:", LOG_LEVEL: "error" }),
);
const { chat } = services;
// A client whose frames go nowhere: the seeding only needs it to be a member.
const socket: Socket = {
  readyState: 1,
  bufferedAmount: 0,
  send() {},
  close() {},
};
const client = chat.connect(socket, { name: "bench", guest: true }, "v1");
await chat.join(client, ROOM);
for (let i = 1; i <= MESSAGES; i++) {
  await chat.send(
    client,
    ROOM,
    `Message ${i}: a line of chat long enough to look like one, with *some* markup`,
    `seed-${i}`,
  );
}
const handler = (await applyBuild(createApp(services))).handler();

const response = await handler(new Request(`http://localhost/rooms/${ROOM}`));
const status = response.status;
await response.body?.cancel();
if (status !== 200) {
  console.error(`render_bench: GET /rooms/${ROOM} answers ${status}`);
}

Deno.bench(`render - room page with ${MESSAGES} messages`, async () => {
  await (await handler(new Request(`http://localhost/rooms/${ROOM}`))).text();
});
