import { expect } from "expect";
import { h } from "preact";
import { App } from "../app.ts";
import { csp } from "./csp.ts";

const get = (app: App<unknown>, path = "/") =>
  app.handler()(new Request(`http://localhost${path}`));

Deno.test("csp - Fresh's default policy; the app's directives replace by name", async () => {
  const app = new App().use(csp({ csp: ["img-src 'self' https:"] }))
    .get("/", (ctx) => ctx.text("hi"));
  const res = await get(app);
  const policy = res.headers.get("content-security-policy")!;
  expect(policy).toContain("default-src 'self'");
  expect(policy).toContain("script-src 'self' 'unsafe-inline'");
  expect(policy).toContain("frame-ancestors 'none'");
  expect(policy).toContain("img-src 'self' https:");
  expect(policy).not.toContain("img-src 'self' data:");
});

Deno.test("csp - reportOnly and reportTo use their own headers", async () => {
  const app = new App().use(csp({ reportOnly: true, reportTo: "/csp" }))
    .get("/", (ctx) => ctx.text("hi"));
  const res = await get(app);
  expect(res.headers.get("content-security-policy")).toBeNull();
  expect(res.headers.get("content-security-policy-report-only")).toContain(
    "report-uri /csp",
  );
  expect(res.headers.get("reporting-endpoints")).toBe('csp-endpoint="/csp"');
});

Deno.test("csp - useNonce puts the rendered page's nonce in script-src", async () => {
  // Each render has a nonce, which the boot script carries on pages with
  // islands (build_test.ts, and tests/e2e in Chromium, check that part).
  const app = new App().use(csp({ useNonce: true }))
    .get("/page", (ctx) => ctx.render(h("p", null, "hi")))
    .get("/text", (ctx) => ctx.text("hi"));
  const text = await get(app, "/text");
  expect(text.headers.get("content-security-policy")).toContain(
    "script-src 'self' 'unsafe-inline'",
  );
  const page = await get(app, "/page");
  const policy = page.headers.get("content-security-policy")!;
  expect(policy).toMatch(/script-src 'self' 'nonce-[0-9a-f]{32}'/);
  expect(policy).toMatch(/style-src 'self' 'nonce-[0-9a-f]{32}'/);
  expect(policy).not.toContain("unsafe-inline");
});

Deno.test("csp - a WebSocket handshake's answer gets no policy, its headers untouched", async () => {
  const switching = () => {
    // The status of a switch; the constructor refuses 101 itself.
    const res = new Response(null, { status: 200 });
    Object.defineProperty(res, "status", { value: 101 });
    return res;
  };
  const app = new App().use(csp()).get("/ws", () => switching())
    .get("/", (ctx) => ctx.text("hi"));
  const ws = await get(app, "/ws");
  expect(ws.status).toBe(101);
  expect([...ws.headers.keys()]).toEqual([]);
  expect((await get(app)).headers.get("content-security-policy")).toContain(
    "default-src 'self'",
  );
});
