/**
 * The types routes, pages, layouts and middleware are written against.
 *
 * @module
 */
import type { ComponentType, VNode } from "preact";
import type { Context } from "./context.ts";

/** Runs for a request; calls `ctx.next()` to pass it on. */
export type Middleware<State = unknown> = (
  ctx: Context<State>,
) => Response | Promise<Response>;

/** What a handler may return: a response, or data for the route's page. */
export type HandlerResult<Data> = Response | PageResponse<Data>;

/** A handler for one method, or for every method. */
export type HandlerFn<Data = unknown, State = unknown> = (
  ctx: Context<State>,
) => HandlerResult<Data> | Promise<HandlerResult<Data>>;

/** HTTP methods a route can answer. */
export type Method =
  | "GET"
  | "HEAD"
  | "POST"
  | "PUT"
  | "PATCH"
  | "DELETE"
  | "OPTIONS";

/** One handler per method. */
export type HandlerByMethod<Data = unknown, State = unknown> = {
  [M in Method]?: HandlerFn<Data, State>;
};

/** A route's `handler`/`handlers` export. */
export type RouteHandler<Data = unknown, State = unknown> =
  | HandlerFn<Data, State>
  | HandlerByMethod<Data, State>;

/** Data for the page, with an optional status and headers; see {@link page}. */
export interface PageResponse<Data> {
  /** What the page component receives as `data`. */
  data: Data;
  /** The response status; 200 by default. */
  status?: number;
  /** Headers to add to the response. */
  headers?: HeadersInit;
}

/** The props of a page, layout or app wrapper component. */
export interface PageProps<Data = unknown, State = unknown> {
  /** Renders what this layout or app wrapper wraps. */
  Component: ComponentType;
  /** What the handler returned with {@link page}. */
  data: Data;
  /** The request's URL, parsed. */
  url: URL;
  /** Parameters of the matched route pattern, decoded. */
  params: Record<string, string>;
  /** Per-request state set by middleware. */
  state: State;
  /** The matched route pattern, or `null`. */
  route: string | null;
  /** The caught error, on error pages. */
  error: unknown;
  /** The incoming request. */
  req: Request;
  /** Connection information from `Deno.serve`, when served. */
  info?: Deno.ServeHandlerInfo;
}

/** Per-route settings exported as `config` from a route file. */
export interface RouteConfig {
  /** A URLPattern pathname used instead of the file's path. */
  routeOverride?: string;
  /** Render the page without the `_app` wrapper. */
  skipAppWrapper?: boolean;
  /** Render the page without any `_layout`, its own folder's included. */
  skipInheritedLayouts?: boolean;
}

/** Options of {@link Context.upgrade}, passed to `Deno.upgradeWebSocket`. */
export interface WebSocketUpgradeOptions {
  /** Seconds without a pong before the socket is closed (default 120). */
  idleTimeout?: number;
  /** The sub-protocol to agree on. */
  protocol?: string;
}

/** Event handlers of a managed WebSocket. */
export interface WebSocketHandlers {
  /** The socket is open. */
  open?(socket: WebSocket): void;
  /** A message arrived. */
  message?(socket: WebSocket, event: MessageEvent): void;
  /** The socket closed. */
  close?(socket: WebSocket, code: number, reason: string): void;
  /** The socket failed; `close` follows. */
  error?(socket: WebSocket, event: Event): void;
}

/** Returns page data from a handler, with an optional status and headers. */
export function page<Data>(
  data?: Data,
  init?: { status?: number; headers?: HeadersInit },
): PageResponse<Data> {
  return { data: data as Data, status: init?.status, headers: init?.headers };
}

/** Whether `value` is the result of {@link page}. */
export function isPageResponse(value: unknown): value is PageResponse<unknown> {
  return typeof value === "object" && value !== null &&
    !(value instanceof Response) && "data" in value;
}

/** A page, layout or app wrapper component. */
export type PageComponent<Data = unknown, State = unknown> = (
  props: PageProps<Data, State>,
) => VNode | string | null | Promise<VNode | string | null>;
