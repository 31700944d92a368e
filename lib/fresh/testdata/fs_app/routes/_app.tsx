import { define } from "../state.ts";

/** The document shell of every page that doesn't skip it. */
export default define.layout(function App({ Component }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>fs_app</title>
      </head>
      <body data-app="fs_app">
        <Component />
      </body>
    </html>
  );
});
