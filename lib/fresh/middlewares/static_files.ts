/**
 * `staticFiles()`: serves `static/` and the built island modules, with
 * content types, ETags and 304s, and nothing outside those folders.
 *
 * @module
 */
import { extname, join } from "node:path";
import type { Context } from "../context.ts";
import { ASSET_PREFIX, BUILD_DIR } from "../build.ts";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".webmanifest": "application/manifest+json",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".wasm": "application/wasm",
};

/**
 * Serves files from `<root>/static` and built modules under `/_fresh/js/`.
 * Built modules have content-hashed names and are cached for a year.
 */
export function staticFiles<State>(): (
  ctx: Context<State>,
) => Promise<Response> {
  return async function serveStatic(ctx) {
    const { req, url } = ctx;
    if (req.method !== "GET" && req.method !== "HEAD") return ctx.next();
    // A WebSocket handshake is never for a file: no disk lookup for it.
    if (req.headers.get("upgrade")?.toLowerCase() === "websocket") {
      return ctx.next();
    }
    const built = url.pathname.startsWith(ASSET_PREFIX);
    const base = built
      ? join(ctx.config.root, BUILD_DIR, "js")
      : join(ctx.config.root, "static");
    const rel = safePath(
      built ? url.pathname.slice(ASSET_PREFIX.length) : url.pathname.slice(1),
    );
    // A path leaving the folder (`..`, an encoded slash or NUL) or not
    // percent-encoding at all names no file: nothing is looked up, and the
    // routes answer it as any path they don't serve (an API's JSON error,
    // a page's 404).
    if (rel === null || rel === undefined) {
      return built ? notFound() : ctx.next();
    }
    if (rel === "") return ctx.next();
    let file: Deno.FsFile;
    let info: Deno.FileInfo;
    // Built modules have brotli and gzip copies written at build time.
    let served = built
      ? pickEncoding(req.headers.get("accept-encoding"))
      : undefined;
    try {
      try {
        file = await Deno.open(
          join(base, rel) + (served ? SUFFIX[served] : ""),
        );
      } catch (error) {
        if (!served) throw error;
        served = undefined;
        file = await Deno.open(join(base, rel));
      }
      info = await file.stat();
    } catch {
      return built ? notFound() : ctx.next();
    }
    if (!info.isFile) {
      file.close();
      return built ? notFound() : ctx.next();
    }
    const etag = `W/"${info.size.toString(36)}-${
      (info.mtime?.getTime() ?? 0).toString(36)
    }${served ? `-${served}` : ""}"`;
    const headers = new Headers({
      "content-type": TYPES[extname(rel).toLowerCase()] ??
        "application/octet-stream",
      etag,
      "cache-control": built
        ? "public, max-age=31536000, immutable"
        : "public, max-age=0, must-revalidate",
      "x-content-type-options": "nosniff",
    });
    if (built) headers.set("vary", "Accept-Encoding");
    if (served) headers.set("content-encoding", served);
    if (req.headers.get("if-none-match") === etag) {
      file.close();
      return new Response(null, { status: 304, headers });
    }
    headers.set("content-length", String(info.size));
    if (req.method === "HEAD") {
      file.close();
      return new Response(null, { headers });
    }
    return new Response(file.readable, { headers });
  };
}

const SUFFIX = { br: ".br", gzip: ".gz" } as const;

/** Brotli when accepted, else gzip, else none (q-values honoured). */
function pickEncoding(header: string | null): "br" | "gzip" | undefined {
  if (!header) return undefined;
  const ok = new Map<string, boolean>();
  for (const part of header.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    ok.set(name, q === undefined || Number(q.slice(2)) > 0);
  }
  if (ok.get("br") ?? ok.get("*")) return "br";
  if (ok.get("gzip") ?? ok.get("*")) return "gzip";
  return undefined;
}

/**
 * The relative file path for a URL path, `""` for a folder, `null` when it
 * tries to leave the folder (`..`, encoded slashes, NUL), `undefined` when
 * it isn't valid percent-encoding.
 */
function safePath(raw: string): string | null | undefined {
  if (/%2f|%5c|%00/i.test(raw)) return null;
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (path.includes("\\") || path.includes("\0")) return null;
  const parts = path.split("/");
  if (parts.some((p) => p === ".." || p === ".")) return null;
  if (parts.at(-1) === "") return "";
  return parts.filter((p) => p !== "").join("/");
}

function notFound(): Response {
  return new Response("Not found", {
    status: 404,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
