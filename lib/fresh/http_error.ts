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

  /**
   * Creates the error. Without a message, as in Fresh, the response says
   * the status's standard text (see {@link statusText}).
   */
  constructor(status: number, message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HttpError";
    this.status = status;
  }
}

const TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  418: "I'm a teapot",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

/** The standard reason phrase of `status`, e.g. `Not Found` for 404. */
export function statusText(status: number): string {
  return TEXT[status] ?? `HTTP ${status}`;
}
