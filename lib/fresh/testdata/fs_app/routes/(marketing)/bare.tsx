import type { RouteConfig } from "fresh";
import { define } from "../../state.ts";

/** Rendered without the `_app` shell and without inherited layouts. */
export const config: RouteConfig = {
  skipAppWrapper: true,
  skipInheritedLayouts: true,
};

/** A page with neither `_app` nor the group's layout. */
export default define.page(function Bare() {
  return <p id="bare">Bare</p>;
});
