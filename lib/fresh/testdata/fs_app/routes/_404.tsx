import { define } from "../state.ts";

/** The page of URLs no route matches. */
export default define.page(function NotFound({ url }) {
  return <h1 id="not-found">Nothing at {url.pathname}</h1>;
});
