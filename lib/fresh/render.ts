/**
 * Turns a page's component tree into the HTML document: server-rendered
 * markup, and for pages with islands their state as JSON plus the boot
 * module. No inline script runs, so a strict Content-Security-Policy holds.
 *
 * @module
 */
import type { VNode } from "preact";
import { type Island, renderWithIslands } from "./islands.ts";
import type { Manifest } from "./build.ts";
import { serialize } from "./serialize.ts";
import type { BootState } from "./client.ts";

/** Renders `tree` to a complete HTML document. */
export function renderDocument(
  tree: VNode,
  islands: Map<unknown, Island>,
  manifest: Manifest | null,
): string {
  let { html, rendered } = renderWithIslands(tree, islands);
  if (!/^\s*<html[\s>]/i.test(html)) {
    html = `<html><head><meta charset="utf-8"><meta name="viewport" ` +
      `content="width=device-width, initial-scale=1"></head><body>${html}</body></html>`;
  }
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
    const preload = [
      ...new Set([manifest.boot, ...state.islands.map((i) => i.u)]),
    ]
      .map((u) => `<link rel="modulepreload" href="${u}">`).join("");
    html = insertBefore(html, "</head>", preload);
    html = insertBefore(
      html,
      "</body>",
      `<script id="__FRSH_STATE" type="application/json">${json}</script>` +
        `<script type="module" src="${manifest.boot}"></script>`,
    );
  }
  return "<!DOCTYPE html>" + html;
}

function insertBefore(html: string, tag: string, insert: string): string {
  const i = html.lastIndexOf(tag);
  return i === -1 ? html + insert : html.slice(0, i) + insert + html.slice(i);
}
