import { define } from "../../state.ts";

/** A page inside a route group. */
export default define.page(function Pricing({ state }) {
  return <p id="pricing">Pricing after {state.trail.join(">")}</p>;
});
