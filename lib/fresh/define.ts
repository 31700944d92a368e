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
  RouteHandler,
} from "./types.ts";
import type { VNode } from "preact";

/** The helpers returned by {@link createDefine}. */
export interface Define<State> {
  /** Types a route's handlers; the page's data type is inferred from them. */
  handlers<
    Data,
    H extends RouteHandler<Data, State> = RouteHandler<Data, State>,
  >(
    handlers: H,
  ): H;
  /** Types a page component. */
  page<Data = unknown>(
    page: (props: PageProps<Data, State>) => VNode | string | null,
  ): PageComponent<Data, State>;
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
