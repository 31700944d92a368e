/**
 * The server-rendered pages through a real server: first paint with the
 * latest messages, error pages, redirects and headers.
 */
import { expect } from "expect";
import { withServer } from "@/tests/helpers/server.ts";

Deno.test("pages - the room page renders the latest 50 messages before any script runs", async () => {
  await withServer({}, async (server) => {
    for (let i = 1; i <= 60; i++) {
      await server.chat.store.append({
        room: "general",
        user: "ana",
        text: `message <b>${i}</b>`,
        clientId: `c${i}`,
      });
    }
    const res = await fetch(`${server.url}/rooms/general`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await res.text();
    const shown = [...html.matchAll(/data-id="(\d+)"/g)].map((m) =>
      Number(m[1])
    );
    expect(shown).toEqual(Array.from({ length: 50 }, (_, i) => i + 11));
    expect(html).toContain("message &lt;b>60&lt;/b>");
    expect(html).toContain('aria-label="Messages in #general"');
    expect(html).toContain("Load older messages");
  });
});

Deno.test("pages - redirects, error pages and security headers", async () => {
  await withServer({}, async (server) => {
    const root = await fetch(`${server.url}/`, { redirect: "manual" });
    expect(root.status).toBe(303);
    expect(root.headers.get("location")).toBe("/rooms/general");
    await root.body?.cancel();

    const missing = await fetch(`${server.url}/rooms/nowhere`);
    expect(missing.status).toBe(404);
    const page = await missing.text();
    expect(page).toContain("No such room: nowhere");
    expect(missing.headers.get("content-security-policy")).toContain(
      "frame-ancestors 'none'",
    );
    expect(missing.headers.get("x-content-type-options")).toBe("nosniff");
    expect(missing.headers.get("referrer-policy")).toBe(
      "strict-origin-when-cross-origin",
    );

    const unknown = await fetch(`${server.url}/no/such/page`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain("Page not found");

    const head = await fetch(`${server.url}/rooms/general`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");

    // As in Fresh 2.3: a file route lacking the method is not found, and
    // the error page, which skips middleware, still gets the headers.
    const post = await fetch(`${server.url}/rooms/general`, { method: "POST" });
    expect(post.status).toBe(404);
    expect(post.headers.get("content-security-policy")).toContain(
      "script-src 'none'",
    );
    expect(post.headers.get("permissions-policy")).toContain("camera=()");
    expect(post.headers.get("strict-transport-security")).toBeNull();
    await post.body?.cancel();

    // The room page's CSP allows its boot script by nonce only; over plain
    // HTTP without upgrade-insecure-requests.
    const room = await fetch(`${server.url}/rooms/general`);
    await room.body?.cancel();
    const policy = room.headers.get("content-security-policy")!;
    expect(policy).toMatch(/script-src 'self' 'nonce-[0-9a-f]{32}'/);
    expect(policy).not.toContain("upgrade-insecure-requests");
    expect(policy).not.toContain("unsafe-inline");

    const css = await fetch(`${server.url}/styles.css`);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    await css.body?.cancel();
  });
});

Deno.test("pages - the room page's JavaScript stays under 35 KB gzipped; what loads later is apart", async () => {
  await withServer({}, async (server) => {
    const res = await fetch(`${server.url}/rooms/general`);
    await res.body?.cancel();
    // The boot and island modules, as the Link: modulepreload header names them.
    const urls = new Set(
      [...(res.headers.get("link") ?? "").matchAll(/<(\/_fresh\/js\/[^>]+)>/g)]
        .map((m) => m[1]),
    );
    expect(urls.size).toBeGreaterThan(0);
    const gzip = async (code: string) =>
      (await new Response(
        new Blob([code]).stream().pipeThrough(new CompressionStream("gzip")),
      ).arrayBuffer()).byteLength;
    /**
     * Walks modules from `start`: the static imports (`from "./x.js"`,
     * `import "./x.js"`) are loaded with the page; dynamic ones
     * (`import("./x.js")`) only when the code runs them, so they are
     * collected apart.
     */
    const walk = async (start: Iterable<string>, skip: Set<string>) => {
      let gzipped = 0;
      const code: string[] = [];
      const later = new Set<string>();
      const seen = new Set(skip);
      const queue = [...start];
      while (queue.length > 0) {
        const url = queue.pop()!;
        if (seen.has(url)) continue;
        seen.add(url);
        const res = await fetch(server.url + url);
        expect(res.status).toBe(200);
        const text = await res.text();
        for (const m of text.matchAll(/(?:from|import)\s*"\.\/([^"]+\.js)"/g)) {
          queue.push(`/_fresh/js/${m[1]}`);
        }
        for (const m of text.matchAll(/import\(\s*"\.\/([^"]+\.js)"\s*\)/g)) {
          later.add(`/_fresh/js/${m[1]}`);
        }
        code.push(text);
        gzipped += await gzip(text);
      }
      return { gzipped, code: code.join("\n"), later, seen };
    };
    const first = await walk(urls, new Set());
    // Loaded on demand: the completion code and the emoji picker with its data.
    const lazy = await walk(first.later, first.seen);
    console.log(
      `room page JavaScript: ${
        (first.gzipped / 1024).toFixed(1)
      } KB gzipped first, ${
        (lazy.gzipped / 1024).toFixed(1)
      } KB gzipped on demand`,
    );
    // 30 KB until thread editing and the typing timeout came in, 31 until
    // notifications opened their room and closed threads said so, 32 until
    // Korean names took particles in mentions (and logouts, lost edits,
    // typing stops and focus kept on others' deletes came in), 33 until
    // quotes and lists, announcements in plain words, search hits opening
    // their thread and summaries moving on deleted replies came in; the
    // dialogs, the switcher among them, load when the page is idle. (A
    // thread panel of its own on demand made it larger: its shared parts
    // became chunks of their own.) 34 until DMs could be closed and rows
    // came to render only when what they show changes (a busy room's page
    // at 60 frames a second instead of 8, `deno task bench:page`).
    expect(first.gzipped).toBeLessThan(35 * 1024);
    // The emoji data and picker are not in the first load, but on demand.
    for (const marker of ["grinning face", "Search emoji"]) {
      expect(first.code).not.toContain(marker);
      expect(lazy.code).toContain(marker);
    }
  });
});
