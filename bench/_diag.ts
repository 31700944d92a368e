import { Session } from "./session.ts";
const ids = Array.from({ length: 1000 }, (_, i) => `r${i}`);
const env: Record<string, string> = { CHAT_ROOMS: ids.join(",") };
if (Deno.args[0] === "mem") env.KV_PATH = ":memory:";
const rate = Number(Deno.args[1] ?? 1000);
const s = await Session.start("app", {
  clients: 10000,
  rooms: ids,
  senders: 10000,
  identity: "distinct",
  workers: 2,
  concurrency: 200,
  deadlineMs: 60000,
}, env);
try {
  const c = await s.connect();
  console.log("connect", Math.round(c.allJoinedMs), c.serverCpu);
  for (let i = 0; i < 2; i++) {
    const p = await s.phase(rate, 8000);
    console.log(
      Deno.args[0],
      rate,
      "lat",
      p.latency.p50.toFixed(1),
      p.latency.p90.toFixed(1),
      p.latency.p99.toFixed(1),
      "ack p90",
      p.ack.p90.toFixed(1),
      "cores",
      p.serverCores.toFixed(2),
      p.generatorCores.toFixed(2),
      p.otherCores.toFixed(2),
      "lost",
      p.lost,
    );
  }
} finally {
  await s.close();
}
