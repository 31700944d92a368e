import { expect } from "expect";
import { h } from "preact";
import { computed, type ReadonlySignal, Signal, signal } from "@preact/signals";
import { deserialize, serialize, SerializeError } from "./serialize.ts";

/** Serializes through JSON text, as the page does, and back. */
function roundTrip<T>(value: T): T {
  const text = JSON.stringify(serialize(value, 'Island "Test"'));
  return deserialize(JSON.parse(text)) as T;
}

Deno.test("serialize - JSON primitives and plain objects round trip", () => {
  const value = {
    s: "안녕 </script>",
    n: 42.5,
    t: true,
    f: false,
    z: null,
    list: [1, "two", [3]],
    nested: { deep: { deeper: "yes" } },
  };
  expect(roundTrip(value)).toEqual(value);
});

Deno.test("serialize - undefined, holes and special numbers round trip", () => {
  const back = roundTrip({
    u: undefined,
    nan: NaN,
    inf: Infinity,
    ninf: -Infinity,
    nzero: -0,
    // deno-lint-ignore no-sparse-arrays
    sparse: [1, , 3],
  });
  expect("u" in back).toBe(true);
  expect(back.u).toBeUndefined();
  expect(back.nan).toBeNaN();
  expect(back.inf).toBe(Infinity);
  expect(back.ninf).toBe(-Infinity);
  expect(Object.is(back.nzero, -0)).toBe(true);
  expect(back.sparse.length).toBe(3);
  expect(1 in back.sparse).toBe(false);
  expect(back.sparse[2]).toBe(3);
  expect(roundTrip(undefined)).toBeUndefined();
});

Deno.test("serialize - bigint, Date, URL, RegExp and Uint8Array round trip", () => {
  const back = roundTrip({
    big: 12345678901234567890n,
    date: new Date("2024-05-06T07:08:09.010Z"),
    url: new URL("https://example.com/a?b=c#d"),
    re: /^a+b$/gi,
    bytes: new Uint8Array([0, 1, 255]),
  });
  expect(back.big).toBe(12345678901234567890n);
  expect(back.date).toBeInstanceOf(Date);
  expect(back.date.toISOString()).toBe("2024-05-06T07:08:09.010Z");
  expect(back.url).toBeInstanceOf(URL);
  expect(back.url.href).toBe("https://example.com/a?b=c#d");
  expect(back.re).toBeInstanceOf(RegExp);
  expect([back.re.source, back.re.flags]).toEqual(["^a+b$", "gi"]);
  expect(back.bytes).toBeInstanceOf(Uint8Array);
  expect([...back.bytes]).toEqual([0, 1, 255]);
});

Deno.test("serialize - Map and Set round trip with any keys and values", () => {
  const key = { id: 1 };
  const back = roundTrip({
    map: new Map<unknown, unknown>([["a", 1], [2, new Date(0)], [key, "obj"]]),
    set: new Set<unknown>(["x", 1n, undefined]),
  });
  expect(back.map).toBeInstanceOf(Map);
  expect(back.map.get("a")).toBe(1);
  expect(back.map.get(2)).toEqual(new Date(0));
  const [objKey] = [...back.map.keys()].filter((k) => typeof k === "object");
  expect(objKey).toEqual({ id: 1 });
  expect(back.map.get(objKey)).toBe("obj");
  expect(back.set).toBeInstanceOf(Set);
  expect([...back.set]).toEqual(["x", 1n, undefined]);
});

Deno.test("serialize - shared objects keep their identity", () => {
  const shared = { name: "shared" };
  const back = roundTrip({
    a: shared,
    b: [shared],
    c: new Map([["k", shared]]),
  });
  expect(back.a).toBe(back.b[0]);
  expect(back.a).toBe(back.c.get("k"));
});

Deno.test("serialize - cycles are restored", () => {
  type Node = { name: string; self?: Node; children: Node[] };
  const root: Node = { name: "root", children: [] };
  root.self = root;
  root.children.push({ name: "child", children: [root] });
  const set = new Set<unknown>();
  set.add(set);
  const back = roundTrip({ root, set });
  expect(back.root.self).toBe(back.root);
  expect(back.root.children[0].children[0]).toBe(back.root);
  expect(back.set.has(back.set)).toBe(true);
});

Deno.test("serialize - a signal round trips as a live signal", () => {
  const back = roundTrip({ count: signal(5), nested: signal({ a: [1] }) });
  expect(back.count).toBeInstanceOf(Signal);
  expect(back.count.value).toBe(5);
  expect(back.nested.value).toEqual({ a: [1] });
  back.count.value = 6;
  expect(back.count.peek()).toBe(6);
});

Deno.test("serialize - one signal passed twice decodes to one signal", () => {
  const count = signal(1);
  const [first, second] = roundTrip([{ count }, { count }]);
  expect(first.count).toBe(second.count);
  first.count.value = 2;
  expect(second.count.value).toBe(2);
});

Deno.test("serialize - a computed arrives as a read-only signal of its value", () => {
  const base = signal(3);
  const doubled = computed(() => base.value * 2);
  const back = roundTrip({ doubled }) as { doubled: ReadonlySignal<number> };
  expect(back.doubled).toBeInstanceOf(Signal);
  expect(back.doubled.value).toBe(6);
  expect(() => {
    (back.doubled as Signal<number>).value = 1;
  }).toThrow();
});

Deno.test("serialize - a function is refused, naming the island and prop", () => {
  expect(() => serialize({ onPick: () => {} }, 'Island "Picker"')).toThrow(
    new SerializeError(
      'Island "Picker": prop "onPick" is a function, which can\'t be sent to the browser; pass data or a signal instead',
    ),
  );
  expect(() =>
    serialize({ options: { list: [1, { format: String }] } }, 'Island "Table"')
  ).toThrow(/^Island "Table": prop "options\.list\[1\]\.format" is a function/);
});

Deno.test("serialize - a class instance is refused, naming its class", () => {
  class Room {
    name = "lobby";
  }
  let error: unknown;
  try {
    serialize({ rooms: [new Room()] }, 'Island "Rooms"');
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(SerializeError);
  expect((error as Error).message).toBe(
    'Island "Rooms": prop "rooms[0]" is an instance of Room; only plain objects can be sent to the browser',
  );
});

Deno.test("serialize - JSX is refused, naming the prop", () => {
  expect(() => serialize({ header: { icon: h("svg", null) } }, 'Island "Card"'))
    .toThrow(
      new SerializeError(
        'Island "Card": prop "header.icon" is JSX, which islands don\'t take as props here; render it inside the island',
      ),
    );
});

Deno.test("serialize - symbols are refused; null-prototype objects are fine", () => {
  expect(() => serialize({ s: Symbol("x") }, 'Island "S"')).toThrow(
    SerializeError,
  );
  const groups = Object.groupBy([1, 2, 3], (n) => n % 2 ? "odd" : "even");
  expect(Object.getPrototypeOf(groups)).toBeNull();
  expect(roundTrip({ groups }).groups).toEqual({ odd: [1, 3], even: [2] });
});
