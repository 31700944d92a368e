import { define } from "../../state.ts";

/** Shows the optional language, or the default. */
export default define.page(function Docs({ params }) {
  return <p id="docs">Docs in {params.lang ?? "default"}</p>;
});
