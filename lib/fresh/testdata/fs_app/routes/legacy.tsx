import type { RouteConfig } from "fresh";
import { define } from "../state.ts";

/** Served at `/old/:thing` instead of `/legacy`. */
export const config: RouteConfig = { routeOverride: "/old/:thing" };

/** A page with an overridden pattern. */
export default define.page(function Legacy({ params }) {
  return <p id="legacy">Legacy {params.thing}</p>;
});
