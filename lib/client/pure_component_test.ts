import { expect } from "expect";
import { PureComponent } from "./pure_component.ts";

class Row extends PureComponent<{ n: number; on: object; extra?: string }> {
  override render() {
    return null;
  }
}

Deno.test("PureComponent - renders again only when a prop changed, by identity", () => {
  const on = {};
  const row = new Row({ n: 1, on });
  row.props = { n: 1, on };
  expect(row.shouldComponentUpdate({ n: 1, on })).toBe(false);
  expect(row.shouldComponentUpdate({ n: 2, on })).toBe(true);
  // A new object, however alike: changed.
  expect(row.shouldComponentUpdate({ n: 1, on: {} })).toBe(true);
  // A prop added or taken away: changed.
  expect(row.shouldComponentUpdate({ n: 1, on, extra: "x" })).toBe(true);
  row.props = { n: 1, on, extra: "x" };
  expect(row.shouldComponentUpdate({ n: 1, on })).toBe(true);
});
