/**
 * Message formatting: fenced ```code blocks```, `code`, **bold**, _italic_
 * (or *italic*), ~~strike~~, http(s) links, @mentions, #room links and line
 * breaks; and lines of `> quotes`, `- lists` (or `*`, `•`) and `1. numbered
 * lists`, parsed into tokens that components render as Preact nodes —
 * never as HTML.
 *
 * Hand-written rather than marked (measured at 15.6 KB gzipped, half the
 * page's 31 KB budget) because only this subset is wanted.
 *
 * @module
 */

/** A piece of formatted text. */
export type Inline =
  | { t: "text"; v: string }
  | { t: "code"; v: string }
  | { t: "pre"; v: string }
  | { t: "room"; v: string }
  | { t: "strong" | "em" | "del"; c: Inline[] }
  | { t: "link"; href: string; v: string }
  | { t: "mention"; v: string }
  | { t: "br" }
  | { t: "quote"; c: Inline[] }
  | { t: "list"; start?: number; items: Inline[][] };

/** Quotes within quotes, at most. */
const MAX_QUOTE_DEPTH = 5;
/** A quoted line: `>` and an optional space, then the quote. */
const QUOTE = /^ {0,3}> ?(.*)$/;
/** A list item: `-`, `*` or `•` (or a number and `.` or `)`), a space, text. */
const ITEM = /^ {0,3}(?:[-*•]|(\d{1,3})[.)]) +(\S.*)$/;

/**
 * Parses `src` into tokens: runs of quoted lines become a `quote` (whose
 * text may hold lists and quotes again), runs of list items a `list`
 * (numbered from `start`), the rest inline text. Lines inside a fenced
 * code block are never a quote or a list.
 */
export function parseText(src: string, depth = 0): Inline[] {
  const out: Inline[] = [];
  const lines = src.split("\n");
  let text: string[] = [];
  let fenced = false;
  for (let i = 0; i < lines.length;) {
    const line = lines[i];
    // Quotes nest a few levels deep; a deeper `>` is text.
    const quoted = !fenced && depth < MAX_QUOTE_DEPTH && QUOTE.test(line);
    const item = !fenced && !quoted ? ITEM.exec(line) : null;
    if (!quoted && !item) {
      text.push(line);
      if ((line.split("```").length - 1) % 2) fenced = !fenced;
      i++;
      continue;
    }
    if (text.length) out.push(...parseInline(text.join("\n")));
    text = [];
    if (quoted) {
      const inner: string[] = [];
      for (let m; i < lines.length && (m = QUOTE.exec(lines[i])); i++) {
        inner.push(m[1]);
      }
      out.push({ t: "quote", c: parseText(inner.join("\n"), depth + 1) });
    } else {
      const numbered = item![1] !== undefined;
      const items: Inline[][] = [];
      for (let m; i < lines.length && (m = ITEM.exec(lines[i])); i++) {
        if ((m[1] !== undefined) !== numbered) break;
        items.push(parseInline(m[2]));
      }
      out.push({
        t: "list",
        start: numbered ? Number(item![1]) : undefined,
        items,
      });
    }
  }
  if (text.length) out.push(...parseInline(text.join("\n")));
  return out;
}

const PATTERN = new RegExp(
  [
    "```(?:[\\w+-]*\\r?\\n)?(?<pre>[\\s\\S]*?)\\r?\\n?```",
    "`(?<code>[^`\\n]+)`",
    "\\*\\*(?<strong>\\S(?:[\\s\\S]*?\\S)?)\\*\\*",
    "~~(?<del>\\S(?:[\\s\\S]*?\\S)?)~~",
    "(?<![\\p{L}\\p{N}_])_(?<em>\\S(?:[^_]*?\\S)?)_(?![\\p{L}\\p{N}_])",
    "(?<![\\p{L}\\p{N}*])\\*(?<em2>\\S(?:[^*]*?\\S)?)\\*(?![\\p{L}\\p{N}*])",
    "(?<link>[hH][tT][tT][pP][sS]?:\\/\\/[^\\s<>\"']*[^\\s<>\"'.,;:!?)\\]])",
    "(?<![\\p{L}\\p{N}_])@(?<mention>[\\p{L}\\p{N}_-]+(?:\\.[\\p{L}\\p{N}_-]+)*)",
    "(?<![\\p{L}\\p{N}_&/#])#(?<room>[a-z0-9][a-z0-9_-]{0,31})(?![\\p{L}\\p{N}_-])",
    "(?<br>\\r?\\n)",
  ].join("|"),
  "gu",
);

/** Parses `src` into inline tokens. */
export function parseInline(src: string): Inline[] {
  const out: Inline[] = [];
  const re = new RegExp(PATTERN);
  let last = 0;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    if (m.index > last) out.push({ t: "text", v: src.slice(last, m.index) });
    const g = m.groups!;
    if (g.pre !== undefined) out.push({ t: "pre", v: g.pre });
    else if (g.code !== undefined) out.push({ t: "code", v: g.code });
    else if (g.strong !== undefined) {
      out.push({ t: "strong", c: parseInline(g.strong) });
    } else if (g.del !== undefined) {
      out.push({ t: "del", c: parseInline(g.del) });
    } else if (g.em !== undefined || g.em2 !== undefined) {
      out.push({ t: "em", c: parseInline(g.em ?? g.em2) });
    } else if (g.link !== undefined) {
      // A ")" closing a "(" of the address is its own (…/Rust_(language)).
      let url = g.link;
      let open = url.split("(").length - url.split(")").length;
      for (; open > 0 && src[re.lastIndex] === ")"; open--) {
        url += ")";
        re.lastIndex++;
      }
      out.push(link(url));
    } else if (g.mention !== undefined) {
      out.push({ t: "mention", v: g.mention });
    } else if (g.room !== undefined) {
      out.push({ t: "room", v: g.room });
    } else out.push({ t: "br" });
    last = re.lastIndex;
  }
  if (last < src.length) out.push({ t: "text", v: src.slice(last) });
  return out;
}

/**
 * What tokens read as plain text, for screen readers: no marks, a line
 * break as a space, a list's items one after another.
 */
export function plainText(tokens: Inline[]): string {
  return tokens.map((t): string => {
    switch (t.t) {
      case "strong":
      case "em":
      case "del":
        return plainText(t.c);
      case "quote":
        return ` ${plainText(t.c)} `;
      case "list":
        return ` ${t.items.map(plainText).join(", ")} `;
      case "br":
        return " ";
      case "mention":
        return `@${t.v}`;
      case "room":
        return `#${t.v}`;
      default:
        return t.v;
    }
  }).join("").replace(/\s+/g, " ").trim();
}

/**
 * A typed address as a link whose text reads as the address it opens: as
 * typed when it starts with the origin opened, else the address parsed,
 * without user name or password. So `https://раураl.com/` shows its
 * punycode host, and `https://accounts.google.com／signin@evil.example/`
 * (the Google part is a user name) shows as `https://evil.example/`.
 * Anything but http(s) stays text.
 */
function link(typed: string): Inline {
  const href = safeHref(typed);
  if (!href) return { t: "text", v: typed };
  const url = new URL(href);
  const n = url.origin.length;
  if (
    typed.slice(0, n).toLowerCase() === url.origin &&
    /^([/?#]|$)/.test(typed.slice(n))
  ) return { t: "link", href, v: typed };
  // A host typed in another script only: its punycode, the rest as typed.
  const authority = /^https?:\/\/([^/?#\\]*)/i.exec(typed)?.[1] ?? "";
  if (!/[@\\\uff0f\uff20]/.test(typed) && authority) {
    const rest = typed.slice(typed.indexOf(authority) + authority.length);
    return { t: "link", href, v: url.origin + rest };
  }
  url.username = url.password = "";
  return { t: "link", href: url.href, v: url.href };
}

/** The URL if it is http or https, else `null`. */
export function safeHref(href: string): string | null {
  try {
    const url = new URL(href);
    return url.protocol === "http:" || url.protocol === "https:"
      ? url.href
      : null;
  } catch {
    return null;
  }
}
