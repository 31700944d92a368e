/**
 * Island props between server and browser: plain data plus `undefined`,
 * special numbers, bigint, Date, URL, RegExp, Map, Set, Uint8Array and
 * Preact signals. Shared objects and cycles keep their identity, so one
 * signal given to two islands is one signal in the browser.
 *
 * Objects, arrays, collections and signals live in a table and are referred
 * to by index; primitives are inline. Runs on both sides.
 *
 * @module
 */
import { isValidElement } from "preact";
import { computed, type ReadonlySignal, Signal, signal } from "@preact/signals";

/** An inline value: a JSON primitive or a tagged array. */
type Inline = string | number | boolean | null | [string, ...unknown[]];

const COMPUTED = Object.getPrototypeOf(computed(() => 0));

/** Serialized props: the root value and the table it refers to. */
export interface Serialized {
  /** The root value. */
  v: Inline;
  /** Objects, arrays, collections and signals, referred to by index. */
  t: unknown[][];
}

/** A value that can't go to the browser, with where it was found. */
export class SerializeError extends TypeError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "SerializeError";
  }
}

/**
 * Serializes `value`; `where` names it in errors, e.g. `Island "Chat"`.
 * Throws {@link SerializeError} for functions, symbols, JSX and class
 * instances.
 */
export function serialize(value: unknown, where = "value"): Serialized {
  const table: unknown[][] = [];
  const seen = new Map<object, number>();

  const encode = (v: unknown, path: string): Inline => {
    switch (typeof v) {
      case "string":
      case "boolean":
        return v;
      case "undefined":
        return ["u"];
      case "bigint":
        return ["b", v.toString()];
      case "number":
        if (Number.isNaN(v)) return ["n", "NaN"];
        if (!Number.isFinite(v)) return ["n", v > 0 ? "Infinity" : "-Infinity"];
        if (Object.is(v, -0)) return ["n", "-0"];
        return v;
      case "function":
        throw new SerializeError(
          `${where}: prop "${path}" is a function, which can't be sent to the browser; pass data or a signal instead`,
        );
      case "symbol":
        throw new SerializeError(`${where}: prop "${path}" is a symbol`);
    }
    if (v === null) return null;
    const obj = v as object;
    const known = seen.get(obj);
    if (known !== undefined) return ["r", known];
    const index = table.length;
    seen.set(obj, index);
    const entry: unknown[] = [];
    table.push(entry);
    if (obj instanceof Signal) {
      const tag = Object.getPrototypeOf(obj) === COMPUTED ? "c" : "g";
      entry.push(tag, encode(obj.peek(), `${path}.value`));
    } else if (Array.isArray(obj)) {
      const items: Inline[] = [];
      for (let i = 0; i < obj.length; i++) {
        items.push(i in obj ? encode(obj[i], `${path}[${i}]`) : ["h"]);
      }
      entry.push("a", items);
    } else if (obj instanceof Date) {
      entry.push("d", obj.getTime());
    } else if (obj instanceof URL) {
      entry.push("l", obj.href);
    } else if (obj instanceof RegExp) {
      entry.push("x", obj.source, obj.flags);
    } else if (obj instanceof Uint8Array) {
      entry.push("y", [...obj]);
    } else if (obj instanceof Map) {
      const pairs: Inline[][] = [];
      for (const [k, val] of obj) {
        pairs.push([encode(k, `${path}<key>`), encode(val, `${path}.get()`)]);
      }
      entry.push("m", pairs);
    } else if (obj instanceof Set) {
      entry.push("s", [...obj].map((x, i) => encode(x, `${path}<${i}>`)));
    } else if (isJsx(obj)) {
      throw new SerializeError(
        `${where}: prop "${path}" is JSX, which islands don't take as props here; render it inside the island`,
      );
    } else {
      const proto = Object.getPrototypeOf(obj);
      if (proto !== Object.prototype && proto !== null) {
        const name = proto?.constructor?.name ?? "unknown";
        throw new SerializeError(
          `${where}: prop "${path}" is an instance of ${name}; only plain objects can be sent to the browser`,
        );
      }
      const fields: Record<string, Inline> = {};
      for (const [k, val] of Object.entries(obj)) {
        fields[k] = encode(val, path ? `${path}.${k}` : k);
      }
      entry.push("o", fields);
    }
    return ["r", index];
  };

  return { v: encode(value, ""), t: table };
}

/**
 * Preact's check, minus null-prototype objects (like `Object.groupBy`'s),
 * which lack a constructor just as JSX does.
 */
function isJsx(obj: object): boolean {
  return Object.getPrototypeOf(obj) !== null && isValidElement(obj);
}

/** Restores a value made by {@link serialize}, with live signals. */
export function deserialize(data: Serialized): unknown {
  const { t } = data;
  const slots: unknown[] = new Array(t.length);
  const signals = new Map<number, Signal<unknown>>();
  // First make every container, so references (and cycles) resolve.
  t.forEach((entry, i) => {
    const [tag, a, b] = entry as [string, unknown, unknown];
    switch (tag) {
      case "o":
        slots[i] = {};
        break;
      case "a":
        slots[i] = new Array((a as unknown[]).length);
        break;
      case "m":
        slots[i] = new Map();
        break;
      case "s":
        slots[i] = new Set();
        break;
      case "d":
        slots[i] = new Date(a as number);
        break;
      case "l":
        slots[i] = new URL(a as string);
        break;
      case "x":
        slots[i] = new RegExp(a as string, b as string);
        break;
      case "y":
        slots[i] = new Uint8Array(a as number[]);
        break;
      case "g":
      case "c": {
        const source = signal<unknown>(undefined);
        signals.set(i, source);
        slots[i] = tag === "g"
          ? source
          : computed(() => source.value) as ReadonlySignal<unknown>;
        break;
      }
      default:
        throw new TypeError(`Unknown serialized tag: ${tag}`);
    }
  });
  const decode = (v: unknown): unknown => {
    if (!Array.isArray(v)) return v;
    switch (v[0]) {
      case "u":
        return undefined;
      case "b":
        return BigInt(v[1]);
      case "n":
        return v[1] === "-0" ? -0 : Number(v[1]);
      case "r":
        return slots[v[1]];
      default:
        throw new TypeError(`Unknown serialized value: ${v[0]}`);
    }
  };
  t.forEach((entry, i) => {
    const [tag, a] = entry as [string, unknown];
    const slot = slots[i];
    if (tag === "o") {
      for (const [k, val] of Object.entries(a as Record<string, unknown>)) {
        (slot as Record<string, unknown>)[k] = decode(val);
      }
    } else if (tag === "a") {
      (a as unknown[]).forEach((val, j) => {
        if (!(Array.isArray(val) && val[0] === "h")) {
          (slot as unknown[])[j] = decode(val);
        }
      });
    } else if (tag === "m") {
      for (const [k, val] of a as unknown[][]) {
        (slot as Map<unknown, unknown>).set(decode(k), decode(val));
      }
    } else if (tag === "s") {
      for (const val of a as unknown[]) (slot as Set<unknown>).add(decode(val));
    } else if (tag === "g" || tag === "c") {
      signals.get(i)!.value = decode(a);
    }
  });
  return decode(data.v);
}
