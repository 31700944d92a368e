import { HttpError } from "fresh";
import { define } from "@/utils.ts";
import { ErrorNotice } from "@/components/ErrorNotice.tsx";

/** What errors thrown without a message (as Fresh's own are) mean. */
const GENERIC: Record<number, string> = {
  403: "The request came from another site and was refused.",
  404: "There is nothing at this address.",
};

/** Error pages: the status and, for client errors, what went wrong. */
export default define.page(function ErrorPage({ error }) {
  const status = error instanceof HttpError ? error.status : 500;
  const message = status >= 500 || !(error instanceof Error)
    ? "Something went wrong on our side. Please try again."
    : error.message || GENERIC[status] || "The request could not be handled.";
  return (
    <ErrorNotice
      title={status === 404 ? "Page not found" : `Error ${status}`}
      message={message}
    />
  );
});
