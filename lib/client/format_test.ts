import { expect } from "expect";
import { parseInline, parseText } from "./format.ts";

Deno.test("format - code, bold, italic, strike and line breaks", () => {
  expect(parseInline("a `x<b>` **b** _i_ *j* ~~d~~\nz")).toEqual([
    { t: "text", v: "a " },
    { t: "code", v: "x<b>" },
    { t: "text", v: " " },
    { t: "strong", c: [{ t: "text", v: "b" }] },
    { t: "text", v: " " },
    { t: "em", c: [{ t: "text", v: "i" }] },
    { t: "text", v: " " },
    { t: "em", c: [{ t: "text", v: "j" }] },
    { t: "text", v: " " },
    { t: "del", c: [{ t: "text", v: "d" }] },
    { t: "br" },
    { t: "text", v: "z" },
  ]);
});

Deno.test("format - only http and https become links, without trailing punctuation", () => {
  expect(parseInline("see https://x.example/a?b=1.")).toEqual([
    { t: "text", v: "see " },
    {
      t: "link",
      href: "https://x.example/a?b=1",
      v: "https://x.example/a?b=1",
    },
    { t: "text", v: "." },
  ]);
  const tokens = parseInline(
    "javascript:alert(1) [x](javascript:alert(1)) <img src=x onerror=alert(1)>",
  );
  expect(tokens.every((t) => t.t === "text")).toBe(true);
});

Deno.test("format - a scheme typed in capitals is a link too, shown as typed", () => {
  expect(parseInline("HTTPS://UPPER.EXAMPLE/Path and Http://x.example"))
    .toEqual([
      {
        t: "link",
        href: "https://upper.example/Path",
        v: "HTTPS://UPPER.EXAMPLE/Path",
      },
      { t: "text", v: " and " },
      { t: "link", href: "http://x.example/", v: "Http://x.example" },
    ]);
});

Deno.test("format - mentions are whole names, not e-mail addresses", () => {
  expect(parseInline("hi @mina.k, mail a@b.c")).toEqual([
    { t: "text", v: "hi " },
    { t: "mention", v: "mina.k" },
    { t: "text", v: ", mail a@b.c" },
  ]);
});

Deno.test("format - snake_case words are not italic", () => {
  expect(parseInline("snake_case_name")).toEqual([{
    t: "text",
    v: "snake_case_name",
  }]);
});

Deno.test("format - fenced code blocks keep their text, backticks and formatting marks", () => {
  expect(parseInline("see\n```ts\nconst a = `x` * 2;\n**not bold**\n```\ndone"))
    .toEqual([
      { t: "text", v: "see" },
      { t: "br" },
      { t: "pre", v: "const a = `x` * 2;\n**not bold**" },
      { t: "br" },
      { t: "text", v: "done" },
    ]);
  expect(parseInline("```one line```")).toEqual([{ t: "pre", v: "one line" }]);
});

Deno.test("format - #room becomes a room link, not inside words or URLs", () => {
  expect(parseInline("go to #random, not a#b or &#39;")).toEqual([
    { t: "text", v: "go to " },
    { t: "room", v: "random" },
    { t: "text", v: ", not a#b or &#39;" },
  ]);
  expect(parseInline("https://x.dev/#top")).toEqual([
    { t: "link", href: "https://x.dev/#top", v: "https://x.dev/#top" },
  ]);
});

Deno.test("format - a link's text reads as the address it opens: no user name or password, a non-ASCII host as punycode", () => {
  // The fullwidth slashes make "accounts.google.com…v2" a user name.
  expect(
    parseInline(
      "Reset at https://accounts.google.com／signin／v2@evil.example/reset",
    ),
  ).toEqual([
    { t: "text", v: "Reset at " },
    {
      t: "link",
      href: "https://evil.example/reset",
      v: "https://evil.example/reset",
    },
  ]);
  expect(parseInline("https://раураl.com/login")).toEqual([{
    t: "link",
    href: "https://xn--l-7sba6dbr.com/login",
    v: "https://xn--l-7sba6dbr.com/login",
  }]);
  // The path stays readable: only the host is shown as opened.
  expect(parseInline("https://한국.kr/서울?q=ä")).toEqual([{
    t: "link",
    href: "https://xn--3e0b707e.kr/%EC%84%9C%EC%9A%B8?q=%C3%A4",
    v: "https://xn--3e0b707e.kr/서울?q=ä",
  }]);
  expect(parseInline("https://münchen.de:8080/straße")).toEqual([{
    t: "link",
    href: "https://xn--mnchen-3ya.de:8080/stra%C3%9Fe",
    v: "https://xn--mnchen-3ya.de:8080/straße",
  }]);
  expect(parseInline("http://javascript:alert(7)@x.example/")).toEqual([
    { t: "link", href: "http://x.example/", v: "http://x.example/" },
  ]);
  // A backslash is a slash to the browser: the text shows where it goes.
  expect(parseInline("https://evil.example\\@good.example")).toEqual([{
    t: "link",
    href: "https://evil.example/@good.example",
    v: "https://evil.example/@good.example",
  }]);
  // Otherwise the text is as typed, non-ASCII paths and all.
  for (
    const typed of [
      "https://de.wikipedia.org/wiki/Ärger",
      "https://x.example",
      "https://x.example?q=1#top",
      "http://localhost:8000/a",
    ]
  ) {
    expect(parseInline(typed)).toEqual([
      { t: "link", href: new URL(typed).href, v: typed },
    ]);
  }
});

Deno.test("format - quoted lines, lists and numbered lists; never inside a code block", () => {
  const text = (v: string) => ({ t: "text", v });
  expect(parseText("> she said\n>so\nok")).toEqual([
    { t: "quote", c: [text("she said"), { t: "br" }, text("so")] },
    text("ok"),
  ]);
  expect(parseText("todo:\n- milk\n* **eggs**\n• tea")).toEqual([
    text("todo:"),
    {
      t: "list",
      start: undefined,
      items: [
        [text("milk")],
        [{ t: "strong", c: [text("eggs")] }],
        [text("tea")],
      ],
    },
  ]);
  // Numbered from the first number; a bullet after it starts a new list.
  expect(parseText("3. c\n4) d\n- e")).toEqual([
    { t: "list", start: 3, items: [[text("c")], [text("d")]] },
    { t: "list", start: undefined, items: [[text("e")]] },
  ]);
  // A list inside a quote.
  expect(parseText("> - a\n> - b")).toEqual([
    {
      t: "quote",
      c: [{ t: "list", start: undefined, items: [[text("a")], [text("b")]] }],
    },
  ]);
  // Not a list: no space, nothing after, a long number, *italic*, a fence.
  for (
    const src of [
      "-1 degrees",
      "- ",
      "2024. was a year",
      "*really*",
      "```\n> not a quote\n- nor a list\n```",
    ]
  ) {
    expect(parseText(src)).toEqual(parseInline(src));
  }
  // Text after a closed fence is read again.
  expect(parseText("```\nx\n```\n> q").at(-1)).toEqual({
    t: "quote",
    c: [text("q")],
  });
  // Markup stays text: a quote of HTML is a quote of text.
  expect(parseText("> <b>hi</b>")).toEqual([
    { t: "quote", c: [text("<b>hi</b>")] },
  ]);
});

Deno.test("format - a link keeps a closing parenthesis that matches one inside it", () => {
  const url = "https://en.wikipedia.org/wiki/Rust_(programming_language)";
  expect(parseInline(`see ${url}.`)).toEqual([
    { t: "text", v: "see " },
    { t: "link", href: url, v: url },
    { t: "text", v: "." },
  ]);
  // Inside parentheses of the text: only the address's own is kept.
  expect(parseInline(`(about ${url})`)).toEqual([
    { t: "text", v: "(about " },
    { t: "link", href: url, v: url },
    { t: "text", v: ")" },
  ]);
  expect(parseInline("(https://x.example/a)")).toEqual([
    { t: "text", v: "(" },
    { t: "link", href: "https://x.example/a", v: "https://x.example/a" },
    { t: "text", v: ")" },
  ]);
});

Deno.test("format - quotes nest five deep at most: a line of 4,000 '>' is cheap", () => {
  const depth = (tokens: ReturnType<typeof parseText>): number => {
    const q = tokens.find((t) => t.t === "quote");
    return q && q.t === "quote" ? 1 + depth(q.c) : 0;
  };
  expect(depth(parseText(">>> three"))).toBe(3);
  const deep = parseText(">".repeat(4000) + " x");
  expect(depth(deep)).toBe(5);
});
