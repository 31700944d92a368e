/**
 * What code shared by the server and the browser may ask about where it runs.
 *
 * @module
 */

/** True in the browser, false on the server. */
export const IS_BROWSER: boolean = typeof document !== "undefined";
