import { expect } from "expect";
import { App } from "../app.ts";
import { csrf } from "./csrf.ts";

function post(app: App<unknown>, headers: Record<string, string>) {
  return app.handler()(
    new Request("http://localhost/form", { method: "POST", headers }),
  );
}

const app = (options?: Parameters<typeof csrf>[0]) =>
  new App().use(csrf(options)).post("/form", (ctx) => ctx.text("done"))
    .get("/form", (ctx) => ctx.text("form"));

Deno.test("csrf - Sec-Fetch-Site same-origin or none passes, cross-site is 403", async () => {
  expect((await post(app(), { "sec-fetch-site": "same-origin" })).status)
    .toBe(200);
  expect((await post(app(), { "sec-fetch-site": "none" })).status).toBe(200);
  const cross = await post(app(), {
    "sec-fetch-site": "cross-site",
    origin: "https://evil.example",
  });
  expect(cross.status).toBe(403);
  expect(await cross.text()).toBe("Forbidden");
});

Deno.test("csrf - without Sec-Fetch-Site the Origin must be the app's own", async () => {
  expect((await post(app(), { origin: "http://localhost" })).status).toBe(200);
  expect((await post(app(), { origin: "https://evil.example" })).status)
    .toBe(403);
  // Neither header: not a browser, nothing to forge.
  expect((await post(app(), {})).status).toBe(200);
});

Deno.test("csrf - the origin option allows named origins", async () => {
  const allowed = app({ origin: ["https://a.example"] });
  expect((await post(allowed, { origin: "https://a.example" })).status)
    .toBe(200);
  const fn = app({ origin: (o) => o.endsWith(".trusted.example") });
  expect(
    (await post(fn, {
      "sec-fetch-site": "cross-site",
      origin: "https://x.trusted.example",
    })).status,
  ).toBe(200);
});

Deno.test("csrf - safe methods always pass", async () => {
  const res = await app().handler()(
    new Request("http://localhost/form", {
      headers: { "sec-fetch-site": "cross-site" },
    }),
  );
  expect(res.status).toBe(200);
});
