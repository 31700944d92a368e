/**
 * An error a client should see, carrying its HTTP status.
 *
 * @example
 * ```ts
 * throw new HttpError(404, "No such room: lobby");
 * ```
 */
export class HttpError extends Error {
  /** The HTTP status code of the response this error becomes. */
  readonly status: number;

  /** Creates the error; the message defaults to the status's standard text. */
  constructor(status: number, message?: string, options?: ErrorOptions) {
    super(message ?? defaultMessage(status), options);
    this.name = "HttpError";
    this.status = status;
  }
}

function defaultMessage(status: number): string {
  switch (status) {
    case 400:
      return "Bad request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not found";
    case 405:
      return "Method not allowed";
    default:
      return status >= 500 ? "Internal server error" : `HTTP ${status}`;
  }
}
