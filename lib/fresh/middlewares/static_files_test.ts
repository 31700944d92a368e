import { expect } from "expect";
import { join } from "node:path";
import { App } from "../app.ts";
import { built } from "../testdata/build.ts";
import { staticFiles } from "./static_files.ts";

const SECRET = '{ "secret": "do not serve" }';

/**
 * A project in a temporary folder: a secret `deno.json` beside `static/`,
 * and built modules in `_fresh/js/`. Calls `fn` with two handlers: static
 * files alone, and static files before a catch-all middleware.
 */
async function withProject(
  fn: (
    only: (path: string, init?: RequestInit) => Promise<Response>,
    withFallback: (path: string, init?: RequestInit) => Promise<Response>,
    root: string,
  ) => Promise<void>,
): Promise<void> {
  const root = await Deno.makeTempDir();
  try {
    const files: Record<string, string | Uint8Array> = {
      "deno.json": SECRET,
      "static/styles.css": "body { color: red; }\n",
      "static/app.js": "console.log(1);\n",
      "static/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>',
      "static/pixel.png": new Uint8Array([0x89, 0x50, 0x4e, 0x47]),
      "static/data.json": "{}",
      "static/font.woff2": "woff2",
      "static/notes.txt": "notes",
      "static/blob.bin": "bin",
      "static/a/b": "nested b",
      "static/sub/inner.txt": "inner",
      "static/한글.txt": "hangul",
      "_fresh/js/island-Counter-ABC123.js": "export default 1;\n",
      "_fresh/manifest.json": '{ "files": [] }',
    };
    for (const [path, content] of Object.entries(files)) {
      await Deno.mkdir(join(root, path, ".."), { recursive: true });
      if (typeof content === "string") {
        await Deno.writeTextFile(join(root, path), content);
      } else await Deno.writeFile(join(root, path), content);
    }
    const only = (await built(new App().use(staticFiles()), root)).handler();
    const withFallback = (await built(new App().use(staticFiles()), root))
      .use((ctx) => new Response(`fallback ${ctx.url.pathname}`))
      .handler();
    const req = (h: typeof only) => (path: string, init?: RequestInit) =>
      h(new Request(`http://localhost${path}`, init));
    await fn(req(only), req(withFallback), root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("static_files - files get their content type", async () => {
  await withProject(async (get) => {
    const types: Record<string, string> = {
      "/styles.css": "text/css; charset=utf-8",
      "/app.js": "text/javascript; charset=utf-8",
      "/logo.svg": "image/svg+xml",
      "/pixel.png": "image/png",
      "/data.json": "application/json",
      "/font.woff2": "font/woff2",
      "/notes.txt": "text/plain; charset=utf-8",
      "/blob.bin": "application/octet-stream",
    };
    for (const [path, type] of Object.entries(types)) {
      const res = await get(path);
      expect([path, res.status, res.headers.get("content-type")]).toEqual([
        path,
        200,
        type,
      ]);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      await res.body?.cancel();
    }
    const css = await get("/styles.css");
    expect(css.headers.get("content-length")).toBe("21");
    expect(await css.text()).toBe("body { color: red; }\n");
    const png = await get("/pixel.png");
    expect([...new Uint8Array(await png.arrayBuffer())]).toEqual([
      0x89,
      0x50,
      0x4e,
      0x47,
    ]);
    expect(await (await get("/%ED%95%9C%EA%B8%80.txt")).text()).toBe("hangul");
    expect(await (await get("/sub/inner.txt")).text()).toBe("inner");
  });
});

Deno.test("static_files - an ETag, then 304 for If-None-Match", async () => {
  await withProject(async (get) => {
    const first = await get("/styles.css");
    const etag = first.headers.get("etag");
    await first.body?.cancel();
    expect(etag).toMatch(/^W\/".+"$/);
    expect(first.headers.get("cache-control")).toBe(
      "public, max-age=0, must-revalidate",
    );
    const again = await get("/styles.css", {
      headers: { "if-none-match": etag! },
    });
    expect(again.status).toBe(304);
    expect(again.headers.get("etag")).toBe(etag);
    expect(again.body).toBeNull();
    const stale = await get("/styles.css", {
      headers: { "if-none-match": 'W/"other"' },
    });
    expect(stale.status).toBe(200);
    expect(await stale.text()).toContain("color: red");
  });
});

Deno.test("static_files - a changed file gets a new ETag", async () => {
  await withProject(async (get, _, root) => {
    const before = await get("/notes.txt");
    await before.body?.cancel();
    await Deno.writeTextFile(join(root, "static/notes.txt"), "longer notes");
    const after = await get("/notes.txt", {
      headers: { "if-none-match": before.headers.get("etag")! },
    });
    expect(after.status).toBe(200);
    expect(after.headers.get("etag")).not.toBe(before.headers.get("etag"));
    expect(await after.text()).toBe("longer notes");
  });
});

Deno.test("static_files - HEAD sends headers without a body", async () => {
  await withProject(async (get) => {
    const res = await get("/styles.css", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(res.headers.get("content-length")).toBe("21");
    expect(res.body).toBeNull();
  });
});

Deno.test("static_files - paths leaving static/ serve no file and go on to the routes, as one that isn't percent-encoding does", async () => {
  await withProject(async (get, withFallback) => {
    for (
      const path of [
        "/../deno.json",
        "/%2e%2e/deno.json",
        "/%2E%2E/%2e%2e/deno.json",
        "/a%2fb",
        "/a%2Fb",
        "/%5c..",
        "/%5c..%5cdeno.json",
        "/..%5cdeno.json",
        "/notes.txt%00",
        "/%00",
      ]
    ) {
      const res = await get(path);
      const body = await res.text();
      expect([path, res.status]).toEqual([path, 404]);
      expect(body).not.toContain("secret");
    }
    // None of them is a file: the routes answer them (an API's JSON 404),
    // as they do a path that isn't percent-encoding.
    for (
      const path of [
        "/%2e%2e/deno.json",
        "/a%2fb",
        "/..%5cdeno.json",
        "/notes.txt%00",
        "/%E0%A4%A",
        "/%ZZ",
      ]
    ) {
      const passed = await withFallback(path);
      expect([path, passed.status]).toEqual([path, 200]);
      expect(await passed.text()).not.toContain("secret");
    }
  });
});

Deno.test("static_files - traversal over a real connection is refused", async () => {
  await withProject(async (_get, _fallback, root) => {
    const server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen() {} },
      (await built(new App().use(staticFiles()), root)).handler(),
    );
    try {
      for (
        const path of ["/../deno.json", "/%2e%2e/deno.json", "/..%2fdeno.json"]
      ) {
        const conn = await Deno.connect({
          hostname: "127.0.0.1",
          port: server.addr.port,
        });
        await conn.write(
          new TextEncoder().encode(
            `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
          ),
        );
        const reply = await new Response(conn.readable).text();
        expect(reply).toMatch(/^HTTP\/1\.1 (400|404) /);
        expect(reply).not.toContain("secret");
      }
    } finally {
      await server.shutdown();
    }
  });
});

Deno.test("static_files - folders and other methods pass to the next handler", async () => {
  await withProject(async (_get, get) => {
    for (const path of ["/sub", "/sub/", "/", "/missing.css"]) {
      const res = await get(path);
      expect(await res.text()).toBe(`fallback ${path}`);
    }
    const post = await get("/styles.css", { method: "POST" });
    expect(await post.text()).toBe("fallback /styles.css");
  });
});

Deno.test("static_files - built modules are immutable; missing ones are 404", async () => {
  await withProject(async (_get, get) => {
    const res = await get("/_fresh/js/island-Counter-ABC123.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(
      "text/javascript; charset=utf-8",
    );
    expect(res.headers.get("cache-control")).toBe(
      "public, max-age=31536000, immutable",
    );
    expect(await res.text()).toBe("export default 1;\n");
    for (
      const path of [
        "/_fresh/js/island-Counter-OLD.js",
        "/_fresh/js/..%2f..%2fdeno.json",
        "/_fresh/js/..%2fmanifest.json",
      ]
    ) {
      const missing = await get(path);
      const body = await missing.text();
      expect([path, missing.status]).toEqual([path, 404]);
      expect(body).not.toContain("secret");
    }
    // Only _fresh/js/ is served, not the rest of _fresh/.
    const manifest = await get("/_fresh/manifest.json");
    expect(await manifest.text()).toBe("fallback /_fresh/manifest.json");
  });
});
