import { expect } from "expect";
import { isConnectionError, isLostConnection } from "./postgres_errors.ts";

const coded = (code: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(code), { code }, extra);

const pgError = (code: string, severity: string) => {
  const e = coded(code, { severity });
  e.name = "PostgresError";
  return e;
};

Deno.test("postgres errors - a lost connection is told from a failed statement", () => {
  expect(isLostConnection(coded("ECONNRESET"))).toBe(true);
  expect(isLostConnection(coded("CONNECTION_CLOSED"))).toBe(true);
  expect(isLostConnection(coded("ENOTFOUND"))).toBe(true);
  expect(isLostConnection(coded("EAI_AGAIN"))).toBe(true);
  expect(isLostConnection(pgError("57P01", "FATAL"))).toBe(true);
  expect(isLostConnection(pgError("08006", "ERROR"))).toBe(true);
  expect(isLostConnection(pgError("28P01", "FATAL"))).toBe(true);
  // A failed statement, a bug, or anything without a code is not.
  expect(isLostConnection(pgError("23505", "ERROR"))).toBe(false);
  expect(isLostConnection(pgError("57014", "ERROR"))).toBe(false);
  expect(isLostConnection(coded("23505"))).toBe(false);
  expect(isLostConnection(new TypeError("x is undefined"))).toBe(false);
  expect(isLostConnection("ECONNRESET")).toBe(false);
  // No answer in time is an outage for the store, but no lost connection.
  const late = coded("DEADLINE_EXCEEDED");
  expect(isLostConnection(late)).toBe(false);
  expect(isConnectionError(late)).toBe(true);
  expect(isConnectionError(coded("ECONNREFUSED"))).toBe(true);
  expect(isConnectionError(pgError("23505", "ERROR"))).toBe(false);
});
