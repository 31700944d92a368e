import { HttpError } from "fresh";
import { define } from "../state.ts";

/** Always refuses. */
export const handler = define.handlers({
  GET() {
    throw new HttpError(403, "Forbidden: no entry");
  },
});

/** Never rendered: the handler throws. */
export default define.page(function Forbidden() {
  return <p>Unreachable</p>;
});
