/** Props of {@link ErrorNotice}. */
export interface ErrorNoticeProps {
  /** The heading, e.g. "Page not found". */
  title: string;
  /** What went wrong, in a sentence. */
  message: string;
}

/** The body of an error page: a heading, what went wrong, a way back. */
export function ErrorNotice({ title, message }: ErrorNoticeProps) {
  return (
    <main class="error-page" id="main">
      <h1>{title}</h1>
      <p>{message}</p>
      <p>
        <a href="/">Back to the chat</a>
      </p>
    </main>
  );
}
