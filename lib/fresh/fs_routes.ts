/**
 * Reads the `routes/` and `islands/` folders: which file serves which URL
 * pattern, and which middleware, layouts and error pages apply to it.
 *
 * @module
 */
import { join, relative } from "node:path";

/** A route file and the special files that apply to it. */
export interface RouteFile {
  /** The URLPattern pathname, e.g. `/ws/:room_id/:username`. */
  pattern: string;
  /** The route module's path. */
  file: string;
  /** `_middleware` files from the outermost folder in. */
  middlewares: string[];
  /** `_layout` files from the outermost folder in. */
  layouts: string[];
  /** The nearest `_error` file. */
  error?: string;
  /** The nearest `_404` file. */
  notFound?: string;
}

/** What the `routes/` folder holds. */
export interface RouteTree {
  /** Every route file, each with the special files that apply to it. */
  routes: RouteFile[];
  /** The `_app` file, if any. */
  app?: string;
  /** The root folder's middleware, error and 404 files, for unmatched URLs. */
  root: Omit<RouteFile, "pattern" | "file" | "layouts">;
  /** Island files in `(_islands)` folders. */
  islands: string[];
}

const SOURCE = /\.(tsx?|jsx?)$/;
const TEST = /(_test|\.test)\.(tsx?|jsx?)$/;

/** Lists the files of `dir` recursively (sorted), `[]` when it is missing. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.name.startsWith(".")) continue;
      if (entry.isDirectory) out.push(...await listFiles(path));
      else if (SOURCE.test(entry.name) && !TEST.test(entry.name)) {
        out.push(path);
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return out.sort();
}

/** Scans `routesDir` into routes ordered from most to least specific. */
export async function scanRoutes(routesDir: string): Promise<RouteTree> {
  const files = await listFiles(routesDir);
  const special = new Map<string, Map<string, string>>(); // dir → kind → file
  const routeFiles: string[] = [];
  const islands: string[] = [];
  for (const file of files) {
    const rel = relative(routesDir, file);
    const parts = rel.split("/");
    const name = parts.pop()!.replace(SOURCE, "");
    if (parts.includes("(_islands)")) {
      islands.push(file);
    } else if (parts.some((p) => p.startsWith("(_"))) {
      continue; // (_components) and the like are not routes.
    } else if (name.startsWith("_")) {
      const dir = parts.join("/");
      if (!special.has(dir)) special.set(dir, new Map());
      special.get(dir)!.set(name, file);
    } else {
      routeFiles.push(file);
    }
  }
  const inherited = (dir: string, kind: string) => {
    const out: string[] = [];
    const parts = dir ? dir.split("/") : [];
    for (let i = 0; i <= parts.length; i++) {
      const f = special.get(parts.slice(0, i).join("/"))?.get(kind);
      if (f) out.push(f);
    }
    return out;
  };
  const routes = routeFiles.map((file): RouteFile => {
    const rel = relative(routesDir, file).replace(SOURCE, "");
    const dir = rel.split("/").slice(0, -1).join("/");
    return {
      pattern: toPattern(rel),
      file,
      middlewares: inherited(dir, "_middleware"),
      layouts: inherited(dir, "_layout"),
      error: inherited(dir, "_error").pop(),
      notFound: inherited(dir, "_404").pop(),
    };
  });
  routes.sort((a, b) => compareSpecificity(a.pattern, b.pattern));
  const root = special.get("") ?? new Map<string, string>();
  return {
    routes,
    app: root.get("_app"),
    root: {
      middlewares: root.has("_middleware") ? [root.get("_middleware")!] : [],
      error: root.get("_error"),
      notFound: root.get("_404"),
    },
    islands,
  };
}

/** `blog/[slug]/index` → `/blog/:slug`; `(group)` folders are dropped. */
export function toPattern(rel: string): string {
  const segments = rel.split("/").filter((s) => !/^\(.*\)$/.test(s));
  if (segments.at(-1) === "index") segments.pop();
  let out = "";
  for (const seg of segments) {
    const optional = /^\[\[([A-Za-z_$][\w$]*)\]\]$/.exec(seg);
    const rest = /^\[\.\.\.([A-Za-z_$][\w$]*)\]$/.exec(seg);
    if (optional) out += `{/:${optional[1]}}?`;
    else if (rest) out += `/:${rest[1]}*`;
    else {
      out += "/" +
        seg.split(/(\[[A-Za-z_$][\w$]*\])/).map((part, i) => {
          if (i % 2 === 1) return `:${part.slice(1, -1)}`;
          const literal = part.replace(/[:*?+(){}\\]/g, "\\$&");
          // Right after a parameter, a name character would extend its name.
          return i > 0 && /^[\p{ID_Continue}$]/u.test(literal)
            ? `\\${literal}`
            : literal;
        }).join("");
    }
  }
  return out || "/";
}

function rank(segment: string): number {
  if (segment.includes("*")) return 3;
  if (segment.endsWith("}?")) return 2; // An optional `{/:name}?`.
  if (segment.includes(":")) return 1;
  return 0;
}

/** `/docs{/:lang}?` → `["docs", ":lang}?"]`. */
function segmentsOf(pattern: string): string[] {
  return pattern.replaceAll("{", "").split("/").slice(1);
}

function compareSpecificity(a: string, b: string): number {
  const as = segmentsOf(a);
  const bs = segmentsOf(b);
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const d = rank(as[i]) - rank(bs[i]);
    if (d !== 0) return d;
  }
  // One is the other plus segments: the longer first, unless what it adds
  // is a catch-all, which matches the shorter path too (an index beside
  // `[...rest]`).
  const extra = as.length > bs.length ? as[bs.length] : bs[as.length];
  if (extra?.includes("*")) return as.length - bs.length;
  return bs.length - as.length;
}
