/**
 * Operations endpoints through a real server: liveness, readiness, and
 * metrics read back with a Prometheus text-format parser.
 */
import { expect } from "expect";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { withServer } from "@/tests/helpers/server.ts";
import { Client } from "@/tests/helpers/ws_client.ts";

interface Family {
  name: string;
  type: string;
  metrics: {
    value?: string;
    buckets?: Record<string, string>;
    count?: string;
  }[];
}

Deno.test("ops - healthz, readyz, and metrics that count real traffic", async () => {
  await withServer({}, async (server) => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: "ready",
      checks: { store: true, bus: true },
    });

    const a = new Client(`${server.url.replace("http", "ws")}/ws?name=ana`);
    await a.next("welcome");
    a.send({ type: "join", room: "general" });
    await a.next("joined");
    for (let i = 0; i < 3; i++) {
      a.send({
        type: "send",
        room: "general",
        text: `m${i}`,
        clientId: `c${i}`,
      });
    }
    await a.until(() => a.of("ack").length === 3 || undefined);
    a.send("not json");
    await a.next("error");

    const res = await fetch(`${server.url}/metrics`);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const families = parsePrometheusTextFormat(await res.text()) as Family[];
    const value = (name: string) =>
      Number(families.find((f) => f.name === name)?.metrics[0].value);
    expect(value("chat_connections")).toBe(1);
    expect(value("chat_rooms")).toBe(2);
    expect(value("chat_messages_in_total")).toBe(3);
    expect(value("chat_deliveries_total")).toBeGreaterThanOrEqual(3);
    expect(value("chat_client_errors_total")).toBe(1);
    expect(value("chat_slow_clients_dropped_total")).toBe(0);
    const latency = families.find((f) =>
      f.name === "chat_ack_latency_seconds"
    )!;
    expect(latency.type).toBe("HISTOGRAM");
    expect(Number(latency.metrics[0].count)).toBe(3);
    expect(Number(latency.metrics[0].buckets!["+Inf"])).toBe(3);
    await a.close();
  });
});

Deno.test("ops - readyz answers 503 when the store is gone", async () => {
  await withServer({}, async (server) => {
    server.chat.store.close();
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(503);
    expect((await res.json()).checks.store).toBe(false);
  });
});
