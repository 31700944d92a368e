import { define } from "../../state.ts";

/** Shows the rest of the path. */
export default define.page(function File({ params }) {
  return <p id="file">File {params.path ?? "(none)"}</p>;
});
