/**
 * The per-request context shared by every middleware and handler.
 *
 * @module
 */
import type { VNode } from "preact";
import { HttpError } from "./http_error.ts";
import type { ResolvedFreshConfig } from "./config.ts";
import type { WebSocketHandlers, WebSocketUpgradeOptions } from "./types.ts";
import { upgradeWebSocket } from "./upgrade.ts";

/** Response options of {@link Context.render}. */
export interface RenderInit {
  /** The response status; 200 by default. */
  status?: number;
  /** Headers to add to the response. */
  headers?: HeadersInit;
}

/** Renders `content` inside the route's layouts and app wrapper. */
export type Renderer = (
  ctx: Context<unknown>,
  content: VNode,
  init?: RenderInit,
) => Promise<Response>;

/** The context of one request. */
export class Context<State = unknown> {
  /** The incoming request. */
  readonly req: Request;
  /** The request's URL, parsed. */
  readonly url: URL;
  /** Connection information from `Deno.serve`, when served. */
  readonly info: Deno.ServeHandlerInfo | undefined;
  /** The app's resolved configuration. */
  readonly config: ResolvedFreshConfig;
  /** Per-request state passed from middleware to routes. */
  state: State = {} as State;
  /** Parameters of the matched route pattern, decoded. */
  params: Record<string, string> = {};
  /** The matched route pattern, or `null`. */
  route: string | null = null;
  /** The caught error, on error pages and in `onError` handlers. */
  error: unknown = null;
  /** @internal Set by the app for each step of the middleware chain. */
  _next: () => Promise<Response> = () => Promise.reject(new HttpError(404));
  /**
   * Makes `Context<State>` invariant in `State`, as Fresh's is: a helper
   * taking `Context<unknown>` can't be given a `Context<MyState>`.
   */
  #invariance?: (state: State) => State;
  /** @internal Set by the app to the matched route's renderer. */
  _renderer: Renderer | undefined;

  /** Creates the context of one request; the app does this. */
  constructor(
    req: Request,
    url: URL,
    info: Deno.ServeHandlerInfo | undefined,
    config: ResolvedFreshConfig,
  ) {
    this.req = req;
    this.url = url;
    this.info = info;
    this.config = config;
  }

  /** Runs the rest of the middleware chain and the route. */
  next(): Promise<Response> {
    return this._next();
  }

  /** Renders JSX as an HTML page inside the route's layouts and `_app`. */
  render(content: VNode, init?: RenderInit): Promise<Response> {
    if (!this._renderer) throw new Error("No renderer for this request");
    return this._renderer(this as Context<unknown>, content, init);
  }

  /** Responds with text (`Content-Type: text/plain`). */
  text(content: string, init?: ResponseInit): Response {
    return new Response(content, init);
  }

  /** Responds with an HTML string (`Content-Type: text/html`). */
  html(content: string, init?: ResponseInit): Response {
    const headers = new Headers(init?.headers);
    headers.set("content-type", "text/html; charset=utf-8");
    return new Response(content, { ...init, headers });
  }

  /** Responds with `content` as JSON, like `Response.json()`. */
  json(content: unknown, init?: ResponseInit): Response {
    return Response.json(content, init);
  }

  /**
   * Redirects to `path` (status 302 unless given). A path like `//evil.com`
   * is kept on this origin.
   */
  redirect(path: string, status = 302): Response {
    let location = path;
    // Browsers skip leading whitespace, drop tabs and newlines and read "\"
    // as "/", so "/\t/evil.com" and "\\evil.com" mean "//evil.com" too.
    const leading = /^[\s\/\\]+/.exec(path)?.[0] ?? "";
    if (/[\/\\]/.test(leading)) location = "/" + path.slice(leading.length);
    return new Response(null, { status, headers: { location } });
  }

  /** Upgrades to a WebSocket and returns the socket and the response. */
  upgrade(
    options?: WebSocketUpgradeOptions,
  ): { socket: WebSocket; response: Response };
  /** Upgrades to a WebSocket driven by `handlers`; returns the response. */
  upgrade(
    handlers: WebSocketHandlers,
    options?: WebSocketUpgradeOptions,
  ): Response;
  upgrade(
    first?: WebSocketUpgradeOptions | WebSocketHandlers,
    second?: WebSocketUpgradeOptions,
  ): Response | { socket: WebSocket; response: Response } {
    if (this.req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      throw new HttpError(400, "Expected a WebSocket upgrade request");
    }
    const managed = isHandlers(first);
    const options = (managed ? second : first as WebSocketUpgradeOptions) ?? {};
    const { socket, response } = upgradeWebSocket(this.req, options);
    if (!managed) return { socket, response };
    const h = first;
    if (h.open) socket.addEventListener("open", () => h.open!(socket));
    if (h.message) {
      socket.addEventListener("message", (e) => h.message!(socket, e));
    }
    if (h.close) {
      socket.addEventListener(
        "close",
        (e) => h.close!(socket, e.code, e.reason),
      );
    }
    if (h.error) socket.addEventListener("error", (e) => h.error!(socket, e));
    return response;
  }
}

function isHandlers(
  value: WebSocketUpgradeOptions | WebSocketHandlers | undefined,
): value is WebSocketHandlers {
  if (!value) return false;
  const v = value as Record<string, unknown>;
  return ["open", "message", "close", "error"].some((k) =>
    typeof v[k] === "function"
  );
}
