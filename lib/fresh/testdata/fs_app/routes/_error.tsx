import { HttpError } from "fresh";
import { define } from "../state.ts";

/** Shows the status of the caught error, and an HttpError's message. */
export default define.page(function ErrorPage({ error }) {
  const status = error instanceof HttpError ? error.status : 500;
  const message = error instanceof HttpError ? error.message : "Oops";
  return <p id="error">Error {status}: {message}</p>;
});
