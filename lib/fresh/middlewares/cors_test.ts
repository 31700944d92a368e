import { expect } from "expect";
import { App } from "../app.ts";
import { cors } from "./cors.ts";

const handler = (options?: Parameters<typeof cors>[0]) =>
  new App().use(cors(options)).get("/api", (ctx) => ctx.json({ ok: true }))
    .handler();

Deno.test("cors - * by default; responses get Allow-Origin", async () => {
  const res = await handler()(
    new Request("http://localhost/api", {
      headers: { origin: "https://a.example" },
    }),
  );
  expect(res.headers.get("access-control-allow-origin")).toBe("*");
  expect(res.headers.get("vary")).toBeNull();
});

Deno.test("cors - a named origin is echoed with Vary; others get nothing", async () => {
  const h = handler({ origin: ["https://a.example"], credentials: true });
  const ok = await h(
    new Request("http://localhost/api", {
      headers: { origin: "https://a.example" },
    }),
  );
  expect(ok.headers.get("access-control-allow-origin")).toBe(
    "https://a.example",
  );
  expect(ok.headers.get("access-control-allow-credentials")).toBe("true");
  expect(ok.headers.get("vary")).toBe("Origin");
  const other = await h(
    new Request("http://localhost/api", {
      headers: { origin: "https://b.example" },
    }),
  );
  expect(other.headers.get("access-control-allow-origin")).toBeNull();
});

Deno.test("cors - a preflight is a 204 with methods, headers and max age", async () => {
  const res = await handler({ origin: "https://a.example", maxAge: 600 })(
    new Request("http://localhost/api", {
      method: "OPTIONS",
      headers: {
        origin: "https://a.example",
        "access-control-request-headers": "x-one, x-two",
      },
    }),
  );
  expect(res.status).toBe(204);
  expect(res.headers.get("access-control-allow-methods")).toBe(
    "GET,HEAD,PUT,POST,DELETE,PATCH",
  );
  expect(res.headers.get("access-control-allow-headers")).toBe("x-one,x-two");
  expect(res.headers.get("access-control-max-age")).toBe("600");
  expect(res.headers.get("vary")).toBe(
    "Origin, Access-Control-Request-Headers",
  );
});
