import { expect } from "expect";
import { renderToString } from "preact-render-to-string";
import { MessageText } from "./MessageText.tsx";

Deno.test("MessageText - a link reads as the address it opens, isolated from its neighbours", () => {
  const text = "see https://x.example/\u202egnp.exe now";
  const html = renderToString(<MessageText text={text} />);
  expect(html).toContain("<bdi>https://x.example/%E2%80%AEgnp.exe</bdi>");
  expect(html).not.toContain("\u202e");
});
