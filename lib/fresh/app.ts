/**
 * The app: middleware, programmatic and file routes, error handling, and the
 * request handler for `Deno.serve`.
 *
 * @module
 */
import { type ComponentType, h, type VNode } from "preact";
import { Context, type RenderInit } from "./context.ts";
import type { FreshConfig, ResolvedFreshConfig } from "./config.ts";
import { HttpError, statusText } from "./http_error.ts";
import type { RootSegment, Route } from "./loader.ts";
import type { BuildCache } from "./build_cache.ts";
import { NONCE_SYMBOL, renderDocument } from "./render.ts";
import { setBuildId } from "./runtime.ts";
import {
  type HandlerByMethod,
  type HandlerFn,
  isPageResponse,
  type Method,
  type Middleware,
  type PageComponent,
  type PageProps,
  type RouteConfig,
  type RouteHandler,
  type WebSocketHandlers,
  type WebSocketUpgradeOptions,
} from "./types.ts";

/** Options of {@link App.listen}: those of `Deno.serve`. */
export type ListenOptions = Partial<Deno.ServeTcpOptions>;

/** A route given to {@link App.route}: a handler and/or a page component. */
export interface RouteDef<State> {
  /** The handler, or handlers by method. */
  handler?: RouteHandler<unknown, State>;
  /** The page component, which gets the data as `unknown` (as in Fresh). */
  component?: PageComponent<unknown, State>;
}

type Step =
  | { kind: "routes"; routes: Route[] }
  | { kind: "fs" }
  | { kind: "layout"; prefix: string; layout: PageComponent<unknown, unknown> }
  | { kind: "app"; app: PageComponent<unknown, unknown> };

/** Applies a build to an app; `Builder.build()` and `_fresh/server.js` do. */
export let setBuildCache: <State>(
  app: App<State>,
  cache: BuildCache,
  mode: "development" | "production",
) => void;
/** The build applied to an app, or `null`. */
export let getBuildCache: <State>(app: App<State>) => BuildCache | null;

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
  config: ResolvedFreshConfig;
  #middlewares: Middleware<unknown>[] = [];
  #steps: Step[] = [];
  #routes: Route[] = [];
  /** Recent lookups of {@link App.#match}, oldest first. */
  readonly #matched = new Map<string, RouteMatch>();
  #root: RootSegment = { middlewares: [], layouts: [], config: {} };
  #cache: BuildCache | null = null;
  #onError?: Middleware<unknown>;
  #notFound?: Middleware<unknown>;

  static {
    setBuildCache = (app, cache, mode) => {
      app.config.root = cache.root;
      app.config.mode = mode;
      app.#cache = cache;
      setBuildId(cache.manifest?.hash.slice(0, 16) ?? "");
    };
    getBuildCache = (app) => app.#cache;
  }

  /** Creates an app with no routes or middleware yet. */
  constructor(config: FreshConfig = {}) {
    this.config = {
      root: ".",
      basePath: config.basePath ?? "",
      mode: config.mode ?? "production",
      trustProxy: config.trustProxy ?? false,
    };
  }

  /**
   * Adds middleware that runs for every request, in the order added; with
   * a path first, only for requests under that path.
   */
  use(...middleware: Middleware<State>[]): this;
  use(path: string, ...middleware: Middleware<State>[]): this;
  use(...args: (string | Middleware<State>)[]): this {
    const path = typeof args[0] === "string" ? args.shift() as string : "*";
    const fns = args as Middleware<unknown>[];
    if (path === "*" || path === "/*") this.#middlewares.push(...fns);
    else {
      const pattern = new URLPattern({ pathname: prefixPattern(path) });
      this.#middlewares.push(
        ...fns.map((fn): Middleware<unknown> => (ctx) =>
          pattern.test({ pathname: ctx.url.pathname }) ? fn(ctx) : ctx.next()
        ),
      );
    }
    return this;
  }

  /** A route at `path`: a handler and/or a page component. */
  route(path: string, route: RouteDef<State>, config?: RouteConfig): this {
    return this.#push({
      pattern: new URLPattern({ pathname: config?.routeOverride ?? path }),
      path: config?.routeOverride ?? path,
      middlewares: [],
      handler: route.handler as RouteHandler<unknown, unknown> | undefined,
      page: route.component as PageComponent<unknown, unknown> | undefined,
      layouts: [],
      config: config ?? {},
    });
  }

  /** Wraps pages of routes added after it under `path` in `component`. */
  layout(path: string, component: PageComponent<unknown, State>): this {
    this.#steps.push({
      kind: "layout",
      prefix: path,
      layout: component as PageComponent<unknown, unknown>,
    });
    return this;
  }

  /** The outer document component (like `_app`) of routes added after it. */
  appWrapper(component: PageComponent<unknown, State>): this {
    this.#steps.push({
      kind: "app",
      app: component as PageComponent<unknown, unknown>,
    });
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
    options?: WebSocketUpgradeOptions,
  ): this {
    return this.get(path, (ctx) => ctx.upgrade(handlers, options));
  }

  /** Inserts the file routes of the applied build here. */
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
   * The request handler for `Deno.serve` and for tests. File routes and
   * islands come from the build applied before this call; without one the
   * app serves its programmatic routes only.
   */
  handler(): (
    req: Request,
    info?: Deno.ServeHandlerInfo,
  ) => Promise<Response> {
    const cache = this.#cache;
    if (cache) this.#root = cache.rootSegment;
    let layouts: { prefix: string; layout: PageComponent<unknown, unknown> }[] =
      [];
    let app: PageComponent<unknown, unknown> | undefined;
    this.#matched.clear();
    this.#routes = this.#steps.flatMap((step): Route[] => {
      switch (step.kind) {
        case "fs":
          return cache?.routes ?? [];
        case "layout":
          layouts = [...layouts, step];
          return [];
        case "app":
          app = step.app;
          return [];
        case "routes":
          return step.routes.map((r) => ({
            ...r,
            layouts: layouts.filter((l) => underPrefix(r.path, l.prefix))
              .map((l) => l.layout),
            app: r.config.skipAppWrapper ? undefined : app,
          }));
      }
    });
    if (!cache?.routes.some((r) => r.app) && app && !this.#root.app) {
      this.#root = { ...this.#root, app };
    }
    return (req, info) => this.#handle(req, info);
  }

  /** Serves the app with `Deno.serve` (port 8000 unless given). */
  listen(options: ListenOptions = {}): Promise<void> {
    Deno.serve({ port: 8000, ...options }, this.handler());
    return Promise.resolve();
  }

  #add(method: Method | "ALL", path: string, fns: Middleware<State>[]): this {
    const list = fns as Middleware<unknown>[];
    return this.#push({
      pattern: new URLPattern({ pathname: path }),
      path,
      method,
      middlewares: list.slice(0, -1),
      handler: list.at(-1) as HandlerFn<unknown, unknown>,
      layouts: [],
      config: {},
    });
  }

  #push(route: Route): this {
    const last = this.#steps.at(-1);
    if (last?.kind === "routes") last.routes.push(route);
    else this.#steps.push({ kind: "routes", routes: [route] });
    return this;
  }

  /**
   * The route for `method` and `url`'s path, with its decoded params (a
   * copy the caller may change), or the methods the path allows. Lookups
   * are remembered by method and path: most requests repeat a few paths
   * (`/ws` above all), and a pattern's `exec` is the costly part.
   */
  #match(method: string, url: URL): RouteMatch {
    const id = `${method} ${url.pathname}`;
    let found = this.#matched.get(id);
    if (!found) {
      found = this.#lookup(method, url);
      if (this.#matched.size >= MATCH_CACHE_SIZE) {
        this.#matched.delete(this.#matched.keys().next().value!);
      }
      this.#matched.set(id, found);
    }
    return found.route ? { ...found, params: { ...found.params } } : found;
  }

  #lookup(method: string, url: URL): RouteMatch {
    const allowed = new Set<string>();
    for (const route of this.#routes) {
      // Most routes can't match: a string compare spares their pattern.
      const literal = literalPrefix(route.pattern);
      if (
        literal.exact
          ? url.pathname !== literal.text
          : !url.pathname.startsWith(literal.text)
      ) continue;
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
          // Thrown where the route would run, after its middlewares, so
          // they answer it as they answer the route's own errors.
          const error = new HttpError(400, `Malformed URL parameter: ${k}`);
          return { route, params: {}, error };
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
    url.pathname = url.pathname.replace(/\/+/g, "/");
    if (this.config.trustProxy) {
      const proto = req.headers.get("x-forwarded-proto");
      if (proto) url.protocol = proto + ":";
      const host = req.headers.get("x-forwarded-host");
      if (host) url.host = host;
    }
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
          found.error
            ? () => Promise.reject(found.error)
            : (ctx) => this.#runRoute(ctx, found.route),
        ];
      } else if (found.allowed.size > 0) {
        chain = [
          ...this.#middlewares,
          ...this.#root.middlewares,
          () => methodNotAllowed(req.method, found.allowed),
        ];
      } else {
        chain = [
          ...this.#middlewares,
          ...this.#root.middlewares,
          () => {
            throw new HttpError(404);
          },
        ];
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
      // As in Fresh 2.3, a file route (or app.route) without a handler for
      // the method is not found, rendered like other errors.
      if (!fn && !(route.page && (method === "GET" || method === "HEAD"))) {
        throw new HttpError(404);
      }
    } else if (route.page && method !== "GET" && method !== "HEAD") {
      throw new HttpError(404);
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
    const doc = renderDocument(
      tree,
      this.#cache?.islands ?? new Map(),
      this.#cache?.manifest ?? null,
      this.config.basePath,
    );
    const headers = new Headers(init?.headers);
    if (!headers.has("content-type")) {
      headers.set("content-type", "text/html; charset=utf-8");
    }
    if (doc.preload.length > 0) {
      headers.append(
        "link",
        doc.preload.map((u) =>
          `<${encodeURI(u)}>; rel="modulepreload"; as="script"`
        )
          .join(", "),
      );
    }
    const res = new Response(doc.html, {
      status: init?.status ?? 200,
      headers,
    });
    // csp({ useNonce: true }) reads the nonce of the inline boot script here.
    Object.defineProperty(res, NONCE_SYMBOL, { value: doc.nonce });
    return Promise.resolve(res);
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
    const message = !(error instanceof HttpError)
      ? "Internal server error"
      : error.message || statusText(status);
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
  if (!fn) return Promise.reject(new HttpError(404));
  try {
    return Promise.resolve(fn(ctx));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * As in Fresh, for a path whose `app.get()`-style routes lack the method:
 * OPTIONS gets a 204 listing the methods, any other method a 405
 * {@link HttpError}, rendered like other errors.
 */
function methodNotAllowed(method: string, allowed: Set<string>): Response {
  if (method !== "OPTIONS") throw new HttpError(405);
  const allow = METHODS.filter((m) => allowed.has(m)).join(", ");
  return new Response(null, { status: 204, headers: { allow } });
}

/** `/api` → `/api{/*}?`: the path and everything under it. */
function prefixPattern(path: string): string {
  const p = path.replace(/\/\*?$/, "");
  return p === "" ? "/*" : `${p}{/*}?`;
}

function underPrefix(path: string, prefix: string): boolean {
  if (prefix === "*" || prefix === "/" || prefix === "/*") return true;
  const p = prefix.replace(/\/\*?$/, "");
  return path === p || path.startsWith(p + "/");
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

/** How many route lookups {@link App} remembers. */
const MATCH_CACHE_SIZE = 500;

/** A route found for a request, or the methods its path allows. */
type RouteMatch =
  | {
    route: Route;
    params: Record<string, string>;
    /** Why the route can't run (a parameter that doesn't decode). */
    error?: HttpError;
    allowed?: undefined;
  }
  | { route?: undefined; allowed: Set<string> };

/** Each pattern's {@link literalPrefix}, worked out once. */
const PREFIXES = new WeakMap<URLPattern, { text: string; exact: boolean }>();

/**
 * The start every path a pattern matches begins with: its pathname up to
 * the first character that isn't plain (a parameter, group, wildcard,
 * escape or modifier), less the character before it (a modifier may make
 * that one optional); `exact` when the whole pattern is plain, so only that
 * very path matches. Only ASCII letters, digits and `/_.~-` count as plain,
 * so encoding never makes the pattern and a path differ.
 */
function literalPrefix(pattern: URLPattern): { text: string; exact: boolean } {
  let prefix = PREFIXES.get(pattern);
  if (prefix === undefined) {
    const path = pattern.pathname;
    const plain = /^[A-Za-z0-9/_.~-]*/.exec(path)![0];
    prefix = plain.length === path.length
      ? { text: plain, exact: true }
      : { text: plain.slice(0, -1), exact: false };
    PREFIXES.set(pattern, prefix);
  }
  return prefix;
}
