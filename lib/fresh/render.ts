/**
 * Turns a page's component tree into the HTML document: server-rendered
 * markup, and for pages with islands their state as JSON and, as Fresh
 * does, an inline module script carrying a fresh nonce that boots them.
 *
 * @module
 */
import type { VNode } from "preact";
import { type Island, renderWithIslands } from "./islands.ts";
import type { Manifest } from "./build.ts";
import { serialize } from "./serialize.ts";
import type { BootState } from "./client.ts";

/**
 * Where a rendered response carries its boot script's nonce, for
 * `csp({ useNonce: true })`; the same symbol as Fresh's.
 */
export const NONCE_SYMBOL: unique symbol = Symbol.for("__freshNonce");

/** A rendered document. */
export interface RenderedDocument {
  /** The HTML, doctype included. */
  html: string;
  /** Module URLs to announce in a `Link: rel=modulepreload` header. */
  preload: string[];
  /** This render's nonce, which the inline boot script (if any) carries. */
  nonce: string;
}

/** Renders `tree` to a complete HTML document. */
export function renderDocument(
  tree: VNode,
  islands: Map<unknown, Island>,
  manifest: Manifest | null,
  basePath = "",
): RenderedDocument {
  let { html, rendered } = renderWithIslands(tree, islands);
  const nonce = crypto.randomUUID().replaceAll("-", "");
  // <Head> content, wherever rendered, moves into the document's head.
  const head: string[] = [];
  html = html.replace(/<frsh-head>([\s\S]*?)<\/frsh-head>/g, (_, inner) => {
    head.push(inner);
    return "";
  });
  if (!/^\s*<html[\s>]/i.test(html)) {
    html = `<html><head><meta charset="utf-8"><meta name="viewport" ` +
      `content="width=device-width, initial-scale=1"></head><body>${html}</body></html>`;
  }
  if (head.length > 0) html = insertBefore(html, "</head>", head.join(""));
  if (rendered.length > 0) {
    if (!manifest) throw new Error("Islands were rendered but never built");
    // Serialize each island alone first, so an error names the island.
    for (const r of rendered) serialize(r.props, `Island "${r.island.id}"`);
    const state: BootState = {
      islands: rendered.map((r) => ({
        u: r.island.url!,
        e: r.island.exportName,
      })),
      props: serialize(rendered.map((r) => r.props), "Island props"),
    };
    const json = JSON.stringify(state).replace(/</g, "\\u003c");
    const boot = JSON.stringify(basePath + manifest.boot);
    html = insertBefore(
      html,
      "</body>",
      `<script id="__FRSH_STATE" type="application/json">${json}</script>` +
        `<script type="module" nonce="${nonce}">` +
        `import { boot } from ${boot};boot();</script>`,
    );
    const preload = [manifest.boot, ...state.islands.map((i) => i.u)];
    return {
      html: "<!DOCTYPE html>" + html,
      preload: [...new Set(preload)].map((u) => basePath + u),
      nonce,
    };
  }
  return { html: "<!DOCTYPE html>" + html, preload: [], nonce };
}

function insertBefore(html: string, tag: string, insert: string): string {
  const i = html.lastIndexOf(tag);
  return i === -1 ? html + insert : html.slice(0, i) + insert + html.slice(i);
}
