import { define } from "../../state.ts";

/** Shows the decoded `id` parameter. */
export default define.page(function User({ params }) {
  return <p id="user">User {params.id}</p>;
});
