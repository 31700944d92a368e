/**
 * The browser side of islands: reads the page's island state, loads each
 * island's module and hydrates it between its `<!--frsh:N-->` markers.
 * Built into the boot module, which a page's inline module script imports
 * and calls; a page without islands never loads it.
 *
 * @module
 */
import { type ComponentType, h, render } from "preact";
import { deserialize, type Serialized } from "./serialize.ts";

/** The JSON the server writes into `#__FRSH_STATE`. */
export interface BootState {
  /** Per island in render order: module URL and export name. */
  islands: { u: string; e: string }[];
  /** The props of every island, serialized together. */
  props: Serialized;
}

/** Hydrates every island on the page; errors are logged to the console. */
export function boot(): Promise<void> {
  return hydrate().catch((error) =>
    console.error("Hydrating islands failed:", error)
  );
}

async function hydrate(): Promise<void> {
  const script = document.getElementById("__FRSH_STATE");
  if (!script?.textContent) return;
  const state = JSON.parse(script.textContent) as BootState;
  const props = deserialize(state.props) as Record<string, unknown>[];
  const markers = findMarkers();
  const modules = await Promise.all(
    state.islands.map((island) => import(island.u)),
  );
  state.islands.forEach((island, i) => {
    const range = markers.get(i);
    const component = modules[i][island.e] as ComponentType | undefined;
    if (!range || !component) {
      console.error(`Island ${i} (${island.u}#${island.e}) can't be hydrated`);
      return;
    }
    // Rendered over the server's markup rather than hydrated, as Fresh
    // does: render also fixes attributes that differ in the browser, like
    // `disabled={!IS_BROWSER}`, where hydrate keeps the server's.
    render(h(component, props[i]), rootBetween(range[0], range[1]));
  });
}

function findMarkers(): Map<number, [Comment, Comment]> {
  const found = new Map<number, [Comment, Comment]>();
  const starts = new Map<number, Comment>();
  const walker = document.createTreeWalker(
    document.body,
    NodeFilter.SHOW_COMMENT,
  );
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const m = /^(\/?)frsh:(\d+)$/.exec((n as Comment).data);
    if (!m) continue;
    const i = Number(m[2]);
    if (!m[1]) starts.set(i, n as Comment);
    else if (starts.has(i)) found.set(i, [starts.get(i)!, n as Comment]);
  }
  return found;
}

/**
 * A stand-in parent for the nodes between two comments, so Preact can
 * hydrate and update an island without a wrapper element.
 */
function rootBetween(start: Comment, end: Comment): Element {
  const parent = start.parentNode as Element;
  const nodes = () => {
    const out: ChildNode[] = [];
    for (let n = start.nextSibling; n && n !== end; n = n.nextSibling) {
      out.push(n);
    }
    return out;
  };
  const root = {
    nodeType: 1,
    parentNode: parent,
    ownerDocument: document,
    namespaceURI: parent.namespaceURI,
    get firstChild() {
      return start.nextSibling === end ? null : start.nextSibling;
    },
    get childNodes() {
      return nodes();
    },
    insertBefore: (node: Node, ref: Node | null) =>
      parent.insertBefore(node, ref ?? end),
    appendChild: (node: Node) => parent.insertBefore(node, end),
    removeChild: (node: Node) => parent.removeChild(node),
    contains: (node: Node) => nodes().includes(node as ChildNode),
  };
  return root as unknown as Element;
}
