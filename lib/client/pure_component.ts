/**
 * A component that renders again only when one of its props changed (by
 * `===`), as React's `PureComponent` does: for the rows of long lists,
 * whose parent renders often for other reasons. Callbacks belong in one
 * stable object (a ref) rather than in new functions each render.
 *
 * @module
 */
import { Component } from "preact";

/** Renders again only when a prop changed (shallow, by `===`). */
export abstract class PureComponent<P extends object> extends Component<P> {
  override shouldComponentUpdate(next: Readonly<P>): boolean {
    const before = this.props as Record<string, unknown>;
    const after = next as Record<string, unknown>;
    for (const k in after) if (before[k] !== after[k]) return true;
    for (const k in before) if (!(k in after)) return true;
    return false;
  }
}
