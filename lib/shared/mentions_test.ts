import { expect } from "expect";
import {
  mentionedNames,
  mentionsName,
  nameBeforeParticle,
} from "./mentions.ts";

Deno.test("mentions - whole @names in any case, each once; mail addresses are not mentions", () => {
  expect(mentionedNames("hi @Ana and @bo, thanks @ana.")).toEqual([
    "ana",
    "bo",
  ]);
  expect(mentionedNames("mail ana@x.com or @@bo")).toEqual([]);
  expect(mentionedNames("@민아 안녕")).toEqual(["민아"]);
  expect(mentionedNames("no names here, ana")).toEqual([]);
  const many = Array.from({ length: 30 }, (_, i) => `@u${i}`).join(" ");
  expect(mentionedNames(many).length).toBe(20);
});

Deno.test("mentions - names with - and . are whole names: @ana-2 is not @ana", () => {
  expect(mentionedNames("hi @ana-2 and @mary.jane-")).toEqual([
    "ana-2",
    "mary.jane",
  ]);
  expect(mentionsName("hi @ana-2!", "ana-2")).toBe(true);
  expect(mentionsName("hi @ANA-2", "ana-2")).toBe(true);
  expect(mentionsName("hi @ana-2", "ana")).toBe(false);
  expect(mentionsName("hi @ana-", "ana")).toBe(true);
  expect(mentionsName("standup, @HERE", "mary-jane")).toBe(true);
  expect(mentionsName("@hereford", "ana")).toBe(false);
});

Deno.test("mentions - a reader is mentioned by their whole name in any case, or by @here", () => {
  expect(mentionsName("hi @ana!", "ana")).toBe(true);
  expect(mentionsName("hi @ANA", "ana")).toBe(true);
  expect(mentionsName("hi @anabel", "ana")).toBe(false);
  expect(mentionsName("mail ana@x.com", "ana")).toBe(false);
  expect(mentionsName("@민아 안녕", "민아")).toBe(true);
  expect(mentionsName("standup, @HERE", "ana")).toBe(true);
  expect(mentionsName("@hereford", "ana")).toBe(false);
});

Deno.test("mentions - a reader is mentioned by their name with a Korean particle or honorific written onto it", () => {
  expect(mentionsName("@민수753님 안녕하세요", "민수753")).toBe(true);
  expect(mentionsName("@민수야 밥 먹었어?", "민수")).toBe(true);
  expect(mentionsName("@민수에게 물어봐", "민수")).toBe(true);
  expect(mentionsName("@민수님", "민")).toBe(false);
  expect(mentionsName("@anai", "ana")).toBe(false);
  expect(nameBeforeParticle("민수님께서")).toEqual(["민수님", "민수"]);
});
