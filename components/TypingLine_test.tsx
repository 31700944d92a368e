import { expect } from "expect";
import { renderToString } from "preact-render-to-string";
import { TypingLine } from "./TypingLine.tsx";

const line = (typing: string[]) =>
  renderToString(
    <TypingLine
      typing={typing}
      members={typing.map((name) => ({ name, guest: false }))}
      me="me"
    />,
  ).replace(/<[^>]+>|[\u2066-\u2069]/g, "");

Deno.test("TypingLine - names up to three typists, then two and how many others; never the reader", () => {
  expect(line([])).toBe("");
  expect(line(["me"])).toBe("");
  expect(line(["ana"])).toBe("ana is typing…");
  expect(line(["ana", "me", "bo", "cy"])).toBe("ana, bo, cy are typing…");
  expect(line(["ana", "bo", "cy", "dee", "me", "eli"])).toBe(
    "ana, bo and 3 others are typing…",
  );
});
