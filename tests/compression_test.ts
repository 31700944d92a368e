/**
 * Compressed responses over a real connection, read byte for byte (a raw
 * HTTP/1.1 request, as `fetch` would decompress): built modules go brotli
 * or gzip from the copies written at build time, pages and JSON go gzipped
 * above 1 KiB, each with `Vary: Accept-Encoding`, and each decompresses to
 * the plain response. Prints the sizes the README quotes.
 */
import { expect } from "expect";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { withServer } from "@/tests/helpers/server.ts";

interface Raw {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

/** GET `path` with `accept-encoding` on a fresh connection; the body as sent. */
async function rawGet(
  base: string,
  path: string,
  acceptEncoding: string,
): Promise<Raw> {
  const url = new URL(base);
  const conn = await Deno.connect({
    hostname: url.hostname,
    port: Number(url.port),
  });
  await conn.write(
    new TextEncoder().encode(
      `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\n` +
        `Accept-Encoding: ${acceptEncoding}\r\nConnection: close\r\n\r\n`,
    ),
  );
  const data = new Uint8Array(await new Response(conn.readable).arrayBuffer());
  const split = indexOf(data, "\r\n\r\n");
  const head = new TextDecoder().decode(data.subarray(0, split)).split("\r\n");
  const headers = new Headers();
  for (const line of head.slice(1)) {
    const i = line.indexOf(":");
    headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  let body: Uint8Array = data.subarray(split + 4);
  if (headers.get("transfer-encoding") === "chunked") body = unchunk(body);
  return { status: Number(head[0].split(" ")[1]), headers, body };
}

function indexOf(data: Uint8Array, text: string, from = 0): number {
  const needle = new TextEncoder().encode(text);
  outer: for (let i = from; i <= data.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (data[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

function unchunk(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (;;) {
    const eol = indexOf(data, "\r\n", at);
    const size = parseInt(new TextDecoder().decode(data.subarray(at, eol)), 16);
    if (!size) break;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return new Uint8Array(parts.flatMap((p) => [...p]));
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

Deno.test("compression - modules precompressed, pages and JSON gzipped, each decompressing to the original", async () => {
  await withServer({}, async (s) => {
    for (let i = 0; i < 30; i++) {
      await s.chat.store.append({
        room: "general",
        user: "ana",
        text: `message ${i}: a line of chat long enough to look like one`,
        clientId: `c${i}`,
      });
    }
    const sizes: string[] = [];

    const page = await rawGet(s.url, "/rooms/general", "gzip, deflate, br");
    const plainPage = await rawGet(s.url, "/rooms/general", "identity");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-encoding")).toBe("gzip");
    expect(page.headers.get("vary")).toContain("Accept-Encoding");
    expect(plainPage.headers.get("content-encoding")).toBeNull();
    // The page differs per response (the nonce): compare its text around it.
    const unzipped = new TextDecoder().decode(gunzipSync(page.body));
    const nonce = /nonce="([0-9a-f]+)"/;
    expect(unzipped.replace(nonce, "")).toBe(
      new TextDecoder().decode(plainPage.body).replace(nonce, ""),
    );
    sizes.push(
      `room page ${kb(plainPage.body.length)} → gzip ${kb(page.body.length)}`,
    );

    const link = page.headers.get("link") ?? "";
    const modules = [...link.matchAll(/<([^>]+)>/g)].map((m) => m[1]);
    expect(modules.length).toBeGreaterThan(0);
    let plain = 0, br = 0, gz = 0;
    for (const path of modules) {
      const b = await rawGet(s.url, path, "gzip, deflate, br");
      const g = await rawGet(s.url, path, "gzip");
      const p = await rawGet(s.url, path, "identity");
      expect([
        b.headers.get("content-encoding"),
        g.headers.get("content-encoding"),
      ])
        .toEqual(["br", "gzip"]);
      expect(b.headers.get("vary")).toBe("Accept-Encoding");
      // One ETag per encoding, so caches never mix them up.
      expect(new Set([b, g, p].map((r) => r.headers.get("etag"))).size).toBe(3);
      expect(brotliDecompressSync(b.body)).toEqual(Buffer.from(p.body));
      expect(gunzipSync(g.body)).toEqual(Buffer.from(p.body));
      plain += p.body.length;
      br += b.body.length;
      gz += g.body.length;
    }
    sizes.push(
      `boot and island modules ${kb(plain)} → brotli ${kb(br)}, gzip ${kb(gz)}`,
    );

    const css = await rawGet(s.url, "/styles.css", "gzip, br");
    const plainCss = await rawGet(s.url, "/styles.css", "identity");
    expect(css.headers.get("content-encoding")).toBe("gzip");
    expect(gunzipSync(css.body)).toEqual(Buffer.from(plainCss.body));
    sizes.push(
      `styles.css ${kb(plainCss.body.length)} → gzip ${kb(css.body.length)}`,
    );

    const json = await rawGet(s.url, "/api/rooms/general/messages", "gzip");
    const plainJson = await rawGet(
      s.url,
      "/api/rooms/general/messages",
      "identity",
    );
    expect(json.status).toBe(200);
    expect(json.headers.get("content-encoding")).toBe("gzip");
    expect(gunzipSync(json.body)).toEqual(Buffer.from(plainJson.body));
    sizes.push(
      `30 messages as JSON ${kb(plainJson.body.length)} → gzip ${
        kb(json.body.length)
      }`,
    );

    // Small bodies go as they are.
    const health = await rawGet(s.url, "/healthz", "gzip");
    expect(health.headers.get("content-encoding")).toBeNull();

    console.log(`compression: ${sizes.join("; ")}`);
  });
});
