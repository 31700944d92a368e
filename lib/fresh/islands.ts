/**
 * Islands on the server: which components are islands, and the render hook
 * that marks where each one is rendered so the browser can hydrate it.
 *
 * @module
 */
import { type ComponentType, h, options, type VNode } from "preact";
import { renderToString } from "preact-render-to-string";

/** A component exported from a file in `islands/`. */
export interface Island {
  /** Unique id: the file's path under `islands/` plus the export name. */
  id: string;
  /** The file, absolute. */
  file: string;
  /** The export holding the component. */
  exportName: string;
  /** The component itself, for rendering on the server. */
  component: ComponentType;
  /** The browser module exporting the component, once built. */
  url?: string;
}

/** One island rendered into a page. */
export interface RenderedIsland {
  /** Which island. */
  island: Island;
  /** The props it was rendered with, to send to the browser. */
  props: Record<string, unknown>;
}

interface Collector {
  islands: Map<unknown, Island>;
  rendered: RenderedIsland[];
  html: string[];
}

let current: Collector | undefined;
let depth = 0;

function IslandHost(
  { island, props }: { island: Island; props: Record<string, unknown> },
): VNode {
  const c = current!;
  const index = c.rendered.length;
  c.rendered.push({ island, props });
  // An island's own subtree is hydrated by it, so islands inside it stay plain.
  depth++;
  try {
    c.html.push(renderToString(h(island.component, props)));
  } finally {
    depth--;
  }
  return h("frsh-island", { "data-i": String(index) }) as VNode;
}

const previousVnodeHook = options.vnode;
options.vnode = (vnode) => {
  if (current && depth === 0 && typeof vnode.type === "function") {
    const island = current.islands.get(vnode.type);
    if (island) {
      const props = vnode.props as Record<string, unknown>;
      (vnode as VNode<unknown>).type = IslandHost as ComponentType<unknown>;
      (vnode as VNode<{ island: Island; props: unknown }>).props = {
        island,
        props,
        children: undefined,
      };
    }
  }
  previousVnodeHook?.(vnode);
};

/**
 * Renders `vnode` to HTML, each top-level island between `<!--frsh:N-->`
 * and `<!--/frsh:N-->` markers, and lists the islands in render order.
 */
export function renderWithIslands(
  vnode: VNode,
  islands: Map<unknown, Island>,
): { html: string; rendered: RenderedIsland[] } {
  const collector: Collector = { islands, rendered: [], html: [] };
  const outer = current;
  current = collector;
  let html: string;
  try {
    html = renderToString(vnode);
  } finally {
    current = outer;
  }
  if (collector.rendered.length > 0) {
    html = html.replace(
      /<frsh-island data-i="(\d+)"><\/frsh-island>/g,
      (_, i) => `<!--frsh:${i}-->${collector.html[Number(i)]}<!--/frsh:${i}-->`,
    );
  }
  return { html, rendered: collector.rendered };
}
