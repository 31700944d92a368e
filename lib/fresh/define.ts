/**
 * `createDefine()`: identity helpers that give routes, pages, layouts and
 * middleware the app's state type, so it is written once in `utils.ts`.
 *
 * @module
 */
import type {
  Middleware,
  PageComponent,
  PageProps,
  PageResponse,
  RouteHandler,
} from "./types.ts";
import type { VNode } from "preact";

type DataOfResult<R> = R extends PageResponse<infer D> ? D : never;
type HandlerKey = "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD";

/** The page data of a handler type, or `T` itself when it is a data type. */
export type DataOf<T> = T extends (...args: never[]) => infer R
  ? DataOfResult<Awaited<R>>
  : [Extract<keyof T, HandlerKey>] extends [never] ? T
  : {
    [K in Extract<keyof T, HandlerKey>]: T[K] extends
      (...args: never[]) => infer R ? DataOfResult<Awaited<R>>
      : never;
  }[Extract<keyof T, HandlerKey>];

/** The helpers returned by {@link createDefine}. */
export interface Define<State> {
  /** Types a route's handlers; the page's data type is inferred from them. */
  handlers<
    Data,
    H extends RouteHandler<Data, State> = RouteHandler<Data, State>,
  >(
    handlers: H,
  ): H;
  /**
   * Types a page component. `T` is the data type, or `typeof handler` to
   * take it from what the route's handlers pass to `page()`.
   */
  page<T = unknown>(
    page: (props: PageProps<DataOf<T>, State>) => VNode | string | null,
  ): PageComponent<DataOf<T>, State>;
  /** Types a `_layout` or `_app` component. */
  layout<Data = unknown>(
    layout: (props: PageProps<Data, State>) => VNode | string | null,
  ): PageComponent<Data, State>;
  /** Types a middleware, or an array of them. */
  middleware<M extends Middleware<State> | Middleware<State>[]>(
    middleware: M,
  ): M;
}

/**
 * Creates the typed `define` helpers for an app's state.
 *
 * @example
 * ```ts
 * export const define = createDefine<{ user?: string }>();
 * ```
 */
export function createDefine<State>(): Define<State> {
  return {
    handlers: (handlers) => handlers,
    page: (page) => page,
    layout: (layout) => layout,
    middleware: (middleware) => middleware,
  };
}
