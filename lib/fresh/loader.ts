/**
 * Turns the project folder into running parts: the modules of `routes/`
 * as routes with their middleware, layouts and error pages, and the
 * components of the island files, built for the browser when stale.
 *
 * @module
 */
import type { ComponentType } from "preact";
import { join, relative, resolve, toFileUrl } from "./path.ts";
import { scanRoutes } from "./fs_routes.ts";
import type { Island } from "./islands.ts";
import type { Manifest } from "./build.ts";
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

/** Modules imported ahead, by path relative to the project folder. */
export type Modules = Record<string, Record<string, unknown>>;

type Load = (file: string | undefined) => Promise<RouteModule | undefined>;

/** Imports a file, or takes it from `modules` when it is there. */
function loader(root: string, modules: Modules): Load {
  return async (file) => {
    if (!file) return undefined;
    const ahead = modules[relative(root, file)];
    return (ahead ?? await import(toFileUrl(file).href)) as RouteModule;
  };
}

async function readMiddleware(
  load: Load,
  file: string,
): Promise<Middleware<unknown>[]> {
  const mod = await load(file);
  const m = mod?.default ?? mod?.handler ?? mod?.handlers;
  return (Array.isArray(m) ? m : [m]) as Middleware<unknown>[];
}

async function readPage(
  load: Load,
  file: string | undefined,
): Promise<PageComponent<unknown, unknown> | undefined> {
  return (await load(file))?.default as
    | PageComponent<unknown, unknown>
    | undefined;
}

/** Loads every route of `<root>/routes`, most specific first. */
export async function loadFsRoutes(
  root: string,
  modules: Modules = {},
): Promise<{ routes: Route[]; root: RootSegment; islands: string[] }> {
  const load = loader(root, modules);
  const middlewareOf = (f: string) => readMiddleware(load, f);
  const pageOf = (f: string | undefined) => readPage(load, f);
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
 * Registers every component exported by the island files the browser build
 * `manifest` was made for, with the URL of its browser module.
 */
export async function loadIslands(
  root: string,
  manifest: Manifest | null,
  modules: Modules = {},
): Promise<Map<unknown, Island>> {
  const islands = new Map<unknown, Island>();
  if (!manifest) return islands;
  for (const rel of manifest.islandFiles) {
    const file = resolve(root, rel);
    const mod = modules[rel] ??
      await import(toFileUrl(file).href) as Record<string, unknown>;
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
  return islands;
}
