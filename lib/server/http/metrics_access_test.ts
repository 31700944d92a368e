import { expect } from "expect";
import { loadConfig } from "@/lib/server/config.ts";
import { metricsAllowed } from "./metrics_access.ts";

const TOKEN = "s3cret-metrics-token-0123";

const withAuth = (authorization?: string) =>
  new Request("http://x/metrics", {
    headers: authorization ? { authorization } : {},
  });

Deno.test("metrics access - the Bearer scheme is matched whatever its case; the token is not", () => {
  const config = loadConfig({ METRICS_TOKEN: TOKEN });
  for (const scheme of ["Bearer", "bearer", "BEARER", "bEaReR"]) {
    expect(
      metricsAllowed(withAuth(`${scheme} ${TOKEN}`), "203.0.113.5", config),
    )
      .toBe(true);
  }
  for (
    const auth of [
      undefined,
      `Bearer ${TOKEN.toUpperCase()}`,
      `Basic ${TOKEN}`,
      `Bearer${TOKEN}`,
      TOKEN,
    ]
  ) {
    expect(metricsAllowed(withAuth(auth), "203.0.113.5", config)).toBe(false);
  }
});
