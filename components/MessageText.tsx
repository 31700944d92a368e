import type { ComponentChildren, VNode } from "preact";
import { type Inline, parseText } from "@/lib/client/format.ts";
import { displayUrl } from "@/lib/shared/text.ts";

/**
 * A message's text with its formatting, quotes, lists, code blocks, links (http and https
 * only, opened without opener or referrer), #room links and @mentions, as
 * Preact nodes. What the user typed is only ever text, so HTML in it stays
 * inert. A link's text is isolated and its bidi controls shown encoded, so
 * it reads as the address it opens (which `parseInline` shows parsed when
 * what was typed would mislead: a user name, a non-ASCII host).
 */
export function MessageText(
  { text, me }: { text: string; me?: string },
): VNode {
  return <>{render(parseText(text), me)}</>;
}

function render(tokens: Inline[], me?: string): ComponentChildren[] {
  return tokens.map((t, key) => {
    switch (t.t) {
      case "text":
        return t.v;
      case "code":
        return <code key={key}>{t.v}</code>;
      case "pre":
        return (
          <pre key={key}>
            <code>{t.v}</code>
          </pre>
        );
      case "room":
        return (
          <a key={key} href={`/rooms/${t.v}`} class="room-link" data-room={t.v}>
            #{t.v}
          </a>
        );
      case "strong":
        return <strong key={key}>{render(t.c, me)}</strong>;
      case "em":
        return <em key={key}>{render(t.c, me)}</em>;
      case "del":
        return <del key={key}>{render(t.c, me)}</del>;
      case "br":
        return <br key={key} />;
      case "quote":
        return <blockquote key={key}>{render(t.c, me)}</blockquote>;
      case "list": {
        const items = t.items.map((c, i) => <li key={i}>{render(c, me)}</li>);
        return t.start === undefined
          ? <ul key={key}>{items}</ul>
          : <ol key={key} start={t.start}>{items}</ol>;
      }
      case "link":
        return (
          <a key={key} href={t.href} target="_blank" rel="noopener noreferrer">
            <bdi>{displayUrl(t.v)}</bdi>
          </a>
        );
      case "mention": {
        const own = me !== undefined && t.v.toLowerCase() === me.toLowerCase();
        return (
          <span key={key} class={own ? "mention me" : "mention"}>
            @<bdi>{t.v}</bdi>
          </span>
        );
      }
    }
  });
}
