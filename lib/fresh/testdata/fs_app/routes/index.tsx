import { define } from "../state.ts";

/** The home page, plain and without islands. */
export default define.page(function Home({ state }) {
  return <h1 id="home">Home after {state.trail.join(">")}</h1>;
});
