/**
 * Turns the project folder into running parts: the modules of `routes/`
 * as routes with their middleware, layouts and error pages, and the
 * components of the island files, built for the browser when stale.
 *
 * @module
 */
import type { ComponentType } from "preact";
import { join, relative, toFileUrl } from "./path.ts";
import { scanRoutes } from "./fs_routes.ts";
import type { Island } from "./islands.ts";
import { ensureBuilt, type Manifest } from "./build.ts";
import type {
  Method,
  Middleware,
  PageComponent,
  RouteConfig,
  RouteHandler,
} from "./types.ts";

/** A route ready to run. */
export interface Route {
  /** Matches the request URL. */
  pattern: URLPattern;
  /** The pattern's pathname, as `ctx.route`. */
  path: string;
  /** Set for routes added with `.get()` and the like. */
  method?: Method | "ALL";
  /** Middleware that runs before the route, outermost first. */
  middlewares: Middleware<unknown>[];
  /** The route's handler or handlers by method, if any. */
  handler?: RouteHandler<unknown, unknown>;
  /** The page component, if any. */
  page?: PageComponent<unknown, unknown>;
  /** Layouts wrapping the page, outermost first. */
  layouts: PageComponent<unknown, unknown>[];
  /** The `_app` wrapper, unless skipped. */
  app?: PageComponent<unknown, unknown>;
  /** The nearest `_error` page. */
  error?: PageComponent<unknown, unknown>;
  /** The nearest `_404` page. */
  notFound?: PageComponent<unknown, unknown>;
  /** The route module's `config`. */
  config: RouteConfig;
}

/** What applies to requests no route matches: root middleware and pages. */
export type RootSegment = Omit<Route, "pattern" | "path">;

type RouteModule = {
  default?: unknown;
  handler?: RouteHandler<unknown, unknown>;
  handlers?: RouteHandler<unknown, unknown>;
  config?: RouteConfig;
};

const load = async (file: string | undefined) =>
  file ? (await import(toFileUrl(file).href)) as RouteModule : undefined;

async function middlewareOf(file: string): Promise<Middleware<unknown>[]> {
  const mod = await load(file);
  const m = mod?.default ?? mod?.handler ?? mod?.handlers;
  return (Array.isArray(m) ? m : [m]) as Middleware<unknown>[];
}

async function pageOf(
  file: string | undefined,
): Promise<PageComponent<unknown, unknown> | undefined> {
  return (await load(file))?.default as
    | PageComponent<unknown, unknown>
    | undefined;
}

/** Loads every route of `<root>/routes`, most specific first. */
export async function loadFsRoutes(
  root: string,
): Promise<{ routes: Route[]; root: RootSegment; islands: string[] }> {
  const tree = await scanRoutes(join(root, "routes"));
  const app = await pageOf(tree.app);
  const rootSegment: RootSegment = {
    middlewares: (await Promise.all(tree.root.middlewares.map(middlewareOf)))
      .flat(),
    layouts: [],
    app,
    error: await pageOf(tree.root.error),
    notFound: await pageOf(tree.root.notFound),
    config: {},
  };
  const routes = await Promise.all(tree.routes.map(async (r) => {
    const mod = (await load(r.file))!;
    const config = mod.config ?? {};
    const path = config.routeOverride ?? r.pattern;
    const route: Route = {
      pattern: new URLPattern({ pathname: path }),
      path,
      middlewares: (await Promise.all(r.middlewares.map(middlewareOf))).flat(),
      handler: mod.handler ?? mod.handlers,
      page: mod.default as PageComponent<unknown, unknown> | undefined,
      // As in Fresh 2, a route skipping inherited layouts renders none.
      layouts: config.skipInheritedLayouts
        ? []
        : (await Promise.all(r.layouts.map(pageOf))).filter((l) =>
          l !== undefined
        ),
      app: config.skipAppWrapper ? undefined : app,
      error: await pageOf(r.error),
      notFound: await pageOf(r.notFound),
      config,
    };
    return route;
  }));
  return { routes, root: rootSegment, islands: tree.islands };
}

/**
 * Registers every component exported by the island `files`, with the URL
 * of its browser module, building the modules first when stale.
 */
export async function loadIslands(
  root: string,
  files: string[],
  mode: "development" | "production",
): Promise<{ islands: Map<unknown, Island>; manifest: Manifest | null }> {
  const islands = new Map<unknown, Island>();
  if (files.length === 0) return { islands, manifest: null };
  const manifest = await ensureBuilt(root, files, {
    minify: mode === "production",
  });
  for (const file of files) {
    const mod = await import(toFileUrl(file).href) as Record<string, unknown>;
    const rel = relative(root, file);
    const inIslands = relative(join(root, "islands"), file);
    const base = inIslands.startsWith("..") ? rel : inIslands;
    for (const [exportName, component] of Object.entries(mod)) {
      if (typeof component !== "function") continue;
      const id = base.replace(/\.[jt]sx?$/, "").replace(/[^\w]+/g, "_") +
        (exportName === "default" ? "" : `_${exportName}`);
      islands.set(component, {
        id,
        file,
        exportName,
        component: component as ComponentType,
        url: manifest.islands[rel],
      });
    }
  }
  return { islands, manifest };
}
