/**
 * `createDefine()`: identity helpers that give routes, pages, layouts and
 * middleware the app's state type, so it is written once in `utils.ts`.
 *
 * @module
 */
import type {
  HandlerByMethod,
  HandlerFn,
  Middleware,
  PageComponent,
  PageProps,
  RouteHandler,
} from "./types.ts";
import type { VNode } from "preact";

/** The page data type of a handler (or handlers by method) type. */
export type DataOf<H> = H extends HandlerFn<infer D, infer _S> ? D
  : H extends HandlerByMethod<infer D, infer _S> ? D
  : never;

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
   * Types a page component; `define.page<typeof handler>` takes its data
   * type from what the route's handlers pass to `page()`.
   */
  page<
    Handler extends RouteHandler<unknown, State> = never,
    Data = DataOf<Handler>,
  >(
    page: (props: PageProps<Data, State>) => VNode | string | null,
  ): PageComponent<Data, State>;
  /** Types a `_layout` or `_app` component. */
  layout(
    layout: (props: PageProps<unknown, State>) => VNode | string | null,
  ): PageComponent<unknown, State>;
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
