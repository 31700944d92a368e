/**
 * The app: middleware, programmatic and file routes, error handling, and the
 * request handler for `Deno.serve`.
 *
 * @module
 */
import { type ComponentType, h, type VNode } from "preact";
import { join, resolve } from "./path.ts";
import { Context, type RenderInit, type ResolvedConfig } from "./context.ts";
import { HttpError } from "./http_error.ts";
import { listFiles } from "./fs_routes.ts";
import {
  loadFsRoutes,
  loadIslands,
  type RootSegment,
  type Route,
} from "./loader.ts";
import type { Island } from "./islands.ts";
import { renderDocument } from "./render.ts";
import type { Manifest } from "./build.ts";
import {
  type HandlerByMethod,
  type HandlerFn,
  isPageResponse,
  type Method,
  type Middleware,
  type PageComponent,
  type PageProps,
  type UpgradeOptions,
  type WebSocketHandlers,
} from "./types.ts";

/** Options of {@link App}. */
export interface AppOptions {
  /** The project folder holding `routes/`, `islands/`, `static/` (default: cwd). */
  root?: string;
}

type Step = { kind: "routes"; routes: Route[] } | { kind: "fs" };

const METHODS: Method[] = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "OPTIONS",
];

/**
 * A Fresh-style app.
 *
 * @example
 * ```ts
 * const app = new App().use(staticFiles()).fsRoutes();
 * Deno.serve(app.handler());
 * ```
 */
export class App<State = unknown> {
  /** The resolved configuration, also `ctx.config`. */
  readonly config: ResolvedConfig;
  #middlewares: Middleware<unknown>[] = [];
  #steps: Step[] = [];
  #routes: Route[] = [];
  #root: RootSegment = { middlewares: [], layouts: [], config: {} };
  #islands = new Map<unknown, Island>();
  #manifest: Manifest | null = null;
  #onError?: Middleware<unknown>;
  #notFound?: Middleware<unknown>;
  #ready?: Promise<void>;

  /** Creates an app with no routes or middleware yet. */
  constructor(options: AppOptions = {}) {
    this.config = {
      root: resolve(options.root ?? Deno.cwd()),
      mode: Deno.env.get("DENO_ENV") === "development"
        ? "development"
        : "production",
    };
  }

  /** Adds middleware that runs for every request, in the order added. */
  use(...middleware: Middleware<State>[]): this {
    this.#middlewares.push(...middleware as Middleware<unknown>[]);
    return this;
  }

  /** Answers GET (and HEAD) requests to `path`. */
  get(path: string, ...handlers: Middleware<State>[]): this {
    return this.#add("GET", path, handlers);
  }
  /** Answers POST requests to `path`. */
  post(path: string, ...handlers: Middleware<State>[]): this {
    return this.#add("POST", path, handlers);
  }
  /** Answers PUT requests to `path`. */
  put(path: string, ...handlers: Middleware<State>[]): this {
    return this.#add("PUT", path, handlers);
  }
  /** Answers PATCH requests to `path`. */
  patch(path: string, ...handlers: Middleware<State>[]): this {
    return this.#add("PATCH", path, handlers);
  }
  /** Answers DELETE requests to `path`. */
  delete(path: string, ...handlers: Middleware<State>[]): this {
    return this.#add("DELETE", path, handlers);
  }
  /** Answers HEAD requests to `path`. */
  head(path: string, ...handlers: Middleware<State>[]): this {
    return this.#add("HEAD", path, handlers);
  }
  /** Answers requests of every method to `path`. */
  all(path: string, ...handlers: Middleware<State>[]): this {
    return this.#add("ALL", path, handlers);
  }

  /** A WebSocket endpoint at `path` driven by `handlers`. */
  ws(
    path: string,
    handlers: WebSocketHandlers,
    options?: UpgradeOptions,
  ): this {
    return this.get(path, (ctx) => ctx.upgrade(handlers, options));
  }

  /** Inserts the routes of the `routes/` folder here. */
  fsRoutes(): this {
    this.#steps.push({ kind: "fs" });
    return this;
  }

  /** Answers errors no `_error` page handles. */
  onError(handler: Middleware<State>): this {
    this.#onError = handler as Middleware<unknown>;
    return this;
  }

  /** Answers requests no route matches, unless a `_404` page does. */
  notFound(handler: Middleware<State>): this {
    this.#notFound = handler as Middleware<unknown>;
    return this;
  }

  /**
   * The request handler for `Deno.serve` and for tests. Loading the file
   * routes and building islands (when stale) starts now.
   */
  handler(): (
    req: Request,
    info?: Deno.ServeHandlerInfo,
  ) => Promise<Response> {
    const ready = this.#ready ??= this.#load();
    ready.catch(() => {}); // Reported on each request instead.
    return async (req, info) => {
      await ready;
      return await this.#handle(req, info);
    };
  }

  /** Serves the app with `Deno.serve`. */
  listen(options: Deno.ServeTcpOptions = {}): Deno.HttpServer {
    return Deno.serve(options, this.handler());
  }

  #add(method: Method | "ALL", path: string, fns: Middleware<State>[]): this {
    const list = fns as Middleware<unknown>[];
    const route: Route = {
      pattern: new URLPattern({ pathname: path }),
      path,
      method,
      middlewares: list.slice(0, -1),
      handler: list.at(-1) as HandlerFn<unknown, unknown>,
      layouts: [],
      config: {},
    };
    const last = this.#steps.at(-1);
    if (last?.kind === "routes") last.routes.push(route);
    else this.#steps.push({ kind: "routes", routes: [route] });
    return this;
  }

  async #load(): Promise<void> {
    const { root, mode } = this.config;
    const usesFs = this.#steps.some((s) => s.kind === "fs");
    const islandFiles = await listFiles(join(root, "islands"));
    let fsRoutes: Route[] = [];
    if (usesFs) {
      const tree = await loadFsRoutes(root);
      fsRoutes = tree.routes;
      this.#root = tree.root;
      islandFiles.push(...tree.islands);
    }
    this.#routes = this.#steps.flatMap((s) =>
      s.kind === "fs" ? fsRoutes : s.routes
    );
    const islands = await loadIslands(root, islandFiles, mode);
    this.#islands = islands.islands;
    this.#manifest = islands.manifest;
  }

  #match(method: string, url: URL) {
    const allowed = new Set<string>();
    for (const route of this.#routes) {
      const m = route.pattern.exec({ pathname: url.pathname });
      if (!m) continue;
      if (route.method && route.method !== "ALL") {
        const ok = route.method === method ||
          (method === "HEAD" && route.method === "GET");
        if (!ok) {
          allowed.add(route.method);
          continue;
        }
      }
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.pathname.groups)) {
        if (v === undefined) continue;
        try {
          params[k] = decodeURIComponent(v);
        } catch {
          throw new HttpError(400, `Malformed URL parameter: ${k}`);
        }
      }
      return { route, params };
    }
    return { allowed };
  }

  async #handle(
    req: Request,
    info: Deno.ServeHandlerInfo | undefined,
  ): Promise<Response> {
    const url = new URL(req.url);
    const ctx = new Context<unknown>(req, url, info, this.config);
    let route: Route | undefined;
    try {
      const found = this.#match(req.method, url);
      route = found.route;
      let chain: Middleware<unknown>[];
      if (found.route) {
        ctx.params = found.params;
        ctx.route = found.route.path;
        chain = [
          ...this.#middlewares,
          ...found.route.middlewares,
          (ctx) => this.#runRoute(ctx, found.route),
        ];
      } else if (found.allowed.size > 0) {
        chain = [...this.#middlewares, () => methodNotAllowed(found.allowed)];
      } else {
        chain = [...this.#middlewares, ...this.#root.middlewares, () => {
          throw new HttpError(404, "Not found");
        }];
      }
      const layout = route ?? this.#root;
      ctx._renderer = (c, content, init) =>
        this.#renderDocument(c, layout, content, init);
      return await run(chain, ctx, 0);
    } catch (error) {
      return await this.#handleError(ctx, error, route);
    }
  }

  async #runRoute(ctx: Context<unknown>, route: Route): Promise<Response> {
    const method = ctx.req.method as Method;
    let fn: HandlerFn<unknown, unknown> | undefined;
    const h = route.handler;
    if (typeof h === "function") fn = h;
    else if (h) {
      const byMethod = h as HandlerByMethod<unknown, unknown>;
      fn = byMethod[method] ?? (method === "HEAD" ? byMethod.GET : undefined);
      if (!fn) {
        const allow = new Set(Object.keys(byMethod));
        if (route.page) allow.add("GET");
        if (allow.has("GET") && !(method === "GET" && route.page)) {
          allow.add("HEAD");
        }
        if (!(route.page && (method === "GET" || method === "HEAD"))) {
          return methodNotAllowed(allow);
        }
      }
    } else if (route.page && method !== "GET" && method !== "HEAD") {
      return methodNotAllowed(new Set(["GET", "HEAD"]));
    }
    let result = fn ? await fn(ctx) : { data: undefined };
    if (!(result instanceof Response)) {
      if (!isPageResponse(result)) {
        throw new Error(
          `Route ${route.path} returned neither a Response nor page data`,
        );
      }
      if (!route.page) {
        throw new Error(
          `Route ${route.path} returned page data but has no page component`,
        );
      }
      result = await this.#renderPage(ctx, route, route.page, result.data, {
        status: result.status,
        headers: result.headers,
      });
    }
    if (method === "HEAD") {
      return new Response(null, {
        status: result.status,
        headers: result.headers,
      });
    }
    return result;
  }

  async #renderPage(
    ctx: Context<unknown>,
    layout: Pick<Route, "layouts" | "app">,
    page: PageComponent<unknown, unknown>,
    data: unknown,
    init?: RenderInit,
  ): Promise<Response> {
    const props = pageProps(ctx, data);
    const content: VNode = page.constructor.name === "AsyncFunction"
      ? await page(props) as VNode
      : h(page as ComponentType<PageProps>, props) as VNode;
    return this.#renderDocument(ctx, layout, content, init, data);
  }

  #renderDocument(
    ctx: Context<unknown>,
    layout: Pick<Route, "layouts" | "app">,
    content: VNode,
    init?: RenderInit,
    data?: unknown,
  ): Promise<Response> {
    const props = pageProps(ctx, data);
    let inner: ComponentType = () => content;
    for (const l of [...layout.layouts].reverse()) {
      const child: ComponentType = inner;
      const L = l as ComponentType<PageProps>;
      inner = (): VNode => h(L, { ...props, Component: child }) as VNode;
    }
    const App = layout.app as ComponentType<PageProps> | undefined;
    const tree =
      (App ? h(App, { ...props, Component: inner }) : h(inner, null)) as VNode;
    const html = renderDocument(tree, this.#islands, this.#manifest);
    const headers = new Headers(init?.headers);
    if (!headers.has("content-type")) {
      headers.set("content-type", "text/html; charset=utf-8");
    }
    return Promise.resolve(
      new Response(html, { status: init?.status ?? 200, headers }),
    );
  }

  async #handleError(
    ctx: Context<unknown>,
    error: unknown,
    route: Route | undefined,
  ): Promise<Response> {
    ctx.error = error;
    const status = error instanceof HttpError ? error.status : 500;
    if (status >= 500) {
      console.error(`${ctx.req.method} ${ctx.url.pathname} failed:`, error);
    }
    const layout = route ?? this.#root;
    const page =
      (status === 404 ? layout.notFound ?? this.#root.notFound : undefined) ??
        layout.error ?? this.#root.error;
    try {
      if (page) {
        return await this.#renderPage(ctx, layout, page, undefined, { status });
      }
      if (status === 404 && this.#notFound) return await this.#notFound(ctx);
      if (this.#onError) return await this.#onError(ctx);
    } catch (inner) {
      console.error("Rendering the error page failed:", inner);
    }
    const message = status >= 500 || !(error instanceof HttpError)
      ? "Internal server error"
      : error.message;
    return new Response(message, {
      status,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  }
}

function run(
  chain: Middleware<unknown>[],
  ctx: Context<unknown>,
  i: number,
): Promise<Response> {
  ctx._next = () => run(chain, ctx, i + 1);
  const fn = chain[i];
  if (!fn) return Promise.reject(new HttpError(404, "Not found"));
  try {
    return Promise.resolve(fn(ctx));
  } catch (error) {
    return Promise.reject(error);
  }
}

function methodNotAllowed(allowed: Set<string>): Response {
  const allow = METHODS.filter((m) => allowed.has(m)).join(", ");
  return new Response("Method not allowed", {
    status: 405,
    headers: { allow, "content-type": "text/plain; charset=utf-8" },
  });
}

function pageProps(ctx: Context<unknown>, data: unknown): PageProps {
  return {
    Component: () => null,
    data,
    url: ctx.url,
    params: ctx.params,
    state: ctx.state,
    route: ctx.route,
    error: ctx.error,
    req: ctx.req,
    info: ctx.info,
  };
}
