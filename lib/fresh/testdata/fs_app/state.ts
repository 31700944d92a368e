import { createDefine } from "fresh";

/** What the fixture's middleware puts on `ctx.state`. */
export interface State {
  /** The middleware that ran, outermost first. */
  trail: string[];
}

/** Typed helpers for the fixture's routes. */
export const define = createDefine<State>();
