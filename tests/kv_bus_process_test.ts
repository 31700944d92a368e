/**
 * The KV bus across processes: a second Deno process on the same KV file,
 * whose writes `kv.watch` may not see, so polling must.
 */
import { expect } from "expect";
import type { BusEvent } from "@/lib/server/bus/bus.ts";
import { KvBus } from "@/lib/server/bus/kv.ts";
import { until } from "@/tests/helpers/until.ts";

Deno.test("kv bus - events from another process arrive, by polling where watch can't see them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bus-kv-" });
  const path = `${dir}/bus.kv`;
  const kv = await Deno.openKv(path);
  const bus = await KvBus.open(kv, { pollMs: 100 });
  const seen: BusEvent[] = [];
  bus.subscribe((e) => seen.push(e));
  const script = `
    import { KvBus } from "${
    new URL("../lib/server/bus/kv.ts", import.meta.url).href
  }";
    const kv = await Deno.openKv(${JSON.stringify(path)});
    const bus = await KvBus.open(kv);
    for (let id = 1; id <= 5; id++) {
      await bus.publish({ kind: "message", message: { id, room: "general", user: "far", text: "x", ts: 1 } });
    }
    await bus.close();
    kv.close();
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--unstable-kv", script],
    stdout: "null",
    stderr: "piped",
  }).output();
  expect(new TextDecoder().decode(out.stderr)).toBe("");
  await until(() => seen.filter((e) => e.kind === "message").length === 5);
  expect(seen.flatMap((e) => e.kind === "message" ? [e.message.id] : []))
    .toEqual([1, 2, 3, 4, 5]);
  await bus.close();
  kv.close();
  await Deno.remove(dir, { recursive: true });
});
