import { expect } from "expect";
import { mentionedNames } from "./mentions.ts";

Deno.test("mentions - whole @names in any case, each once; mail addresses are not mentions", () => {
  expect(mentionedNames("hi @Ana and @bo, thanks @ana.")).toEqual([
    "ana",
    "bo",
  ]);
  expect(mentionedNames("mail ana@x.com or @@bo")).toEqual([]);
  expect(mentionedNames("@민아 안녕")).toEqual(["민아"]);
  const many = Array.from({ length: 30 }, (_, i) => `@u${i}`).join(" ");
  expect(mentionedNames(many).length).toBe(20);
});
