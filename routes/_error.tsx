import { HttpError } from "fresh";
import { define } from "@/utils.ts";

/** Error pages: the status and, for client errors, what went wrong. */
export default define.page(function ErrorPage({ error }) {
  const status = error instanceof HttpError ? error.status : 500;
  const message = status < 500 && error instanceof Error
    ? error.message
    : "Something went wrong on our side. Please try again.";
  return (
    <main class="error-page" id="main">
      <h1>{status === 404 ? "Page not found" : `Error ${status}`}</h1>
      <p>{message}</p>
      <p>
        <a href="/">Back to the chat</a>
      </p>
    </main>
  );
});
