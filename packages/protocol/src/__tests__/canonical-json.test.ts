import fc from "fast-check";
import * as vm from "node:vm";
import { canonicalBytes, canonicalize, parseCanonical } from "../index";
import { codeOf } from "./helpers";

const bytes = (s: string) => Buffer.from(s, "utf8");

describe("canonicalize", () => {
  it("sorts keys by UTF-16 code units and writes no whitespace", () => {
    expect(canonicalize({ b: 1, a: [true, null, "x"], A: { z: 0, y: -5 } })).toBe('{"A":{"y":-5,"z":0},"a":[true,null,"x"],"b":1}');
    // U+10000 is the surrogate pair D800 DC00, which sorts before U+FFFF in UTF-16 order (RFC 8785 §3.2.3)
    expect(canonicalize({ "\uffff": 1, "\u{10000}": 2, "\u00e9": 3, e: 4 })).toBe('{"e":4,"é":3,"𐀀":2,"￿":1}');
  });

  it("escapes like JCS: only quote, backslash and controls; non-ASCII stays raw UTF-8", () => {
    expect(canonicalize('a"b\\c\n\u0001\u2028ñ')).toBe('"a\\"b\\\\c\\n\\u0001\u2028ñ"');
    expect(canonicalBytes("ñ")).toEqual(Buffer.from([0x22, 0xc3, 0xb1, 0x22]));
  });

  it.each([
    ["a float", 1.5],
    ["NaN", NaN],
    ["Infinity", Infinity],
    ["an unsafe integer", 2 ** 53],
    ["undefined", undefined],
    ["a function", () => 1],
    ["a bigint", 1n],
    ["a symbol", Symbol("x")],
    ["a Date", new Date(0)],
    ["an undefined member", { a: undefined }],
    ["a lone surrogate in a value", "\ud800"],
    ["a lone surrogate in a key", { "\udc00": 1 }],
    ["a sparse array", [1, , 3]], // eslint-disable-line no-sparse-arrays
  ])("refuses %s with NOT_CANONICAL", (_label, value) => {
    expect(codeOf(() => canonicalize(value))).toBe("NOT_CANONICAL");
  });

  it("refuses nesting beyond 64 levels instead of overflowing the stack", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(codeOf(() => canonicalize(deep))).toBe("NOT_CANONICAL");
  });

  it("accepts plain objects from another realm and null-prototype objects, refuses class instances", () => {
    expect(canonicalize(vm.runInNewContext('({b: [1], a: {c: "x"}})'))).toBe('{"a":{"c":"x"},"b":[1]}');
    expect(canonicalize(Object.assign(Object.create(null), { k: 1 }))).toBe('{"k":1}');
    class Point {
      x = 1;
    }
    expect(codeOf(() => canonicalize(new Point()))).toBe("NOT_CANONICAL");
    expect(codeOf(() => canonicalize(new Map()))).toBe("NOT_CANONICAL");
  });

  it("writes -0 as 0", () => {
    expect(canonicalize(-0)).toBe("0");
  });
});

describe("parseCanonical", () => {
  it("accepts canonical bytes", () => {
    expect(parseCanonical(bytes('{"a":[1,"x"],"b":null}'), "t")).toEqual({ a: [1, "x"], b: null });
  });

  it.each([
    ["whitespace between tokens", '{"a": 1}'],
    ["a trailing newline", '{"a":1}\n'],
    ["leading whitespace", ' {"a":1}'],
    ["keys out of order", '{"b":1,"a":2}'],
    ["duplicate keys", '{"a":1,"a":1}'],
    ["a float", '{"a":1.0}'],
    ["an exponent", '{"a":1e2}'],
    ["an unnecessary escape", '{"a":"\\u0041"}'],
    ["an escaped solidus", '{"a":"\\/"}'],
    ["an escaped lone surrogate", '{"a":"\\ud800"}'],
    ["an unsafe integer", '{"a":9007199254740993}'],
    ["invalid JSON", '{"a":'],
  ])("refuses %s", (_label, text) => {
    expect(codeOf(() => parseCanonical(bytes(text), "doc.json"))).toBe("NOT_CANONICAL");
  });

  it("refuses a UTF-8 byte order mark", () => {
    expect(codeOf(() => parseCanonical(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes("1")]), "t"))).toBe("NOT_CANONICAL");
  });

  it.each([
    ["an overlong encoding", [0x22, 0xc0, 0xaf, 0x22]],
    ["a CESU-8 lone surrogate", [0x22, 0xed, 0xa0, 0x80, 0x22]],
    ["a truncated sequence", [0x22, 0xe2, 0x82, 0x22]],
  ])("refuses invalid UTF-8: %s", (_label, raw) => {
    expect(codeOf(() => parseCanonical(Uint8Array.from(raw), "t"))).toBe("NOT_CANONICAL");
  });

  it("says where and what differs", () => {
    const e = (() => {
      try {
        parseCanonical(bytes('{"a": 1}'), "prepcast/manifest.json");
      } catch (err) {
        return err as { message: string; where: string };
      }
      throw new Error("accepted");
    })();
    expect(e.where).toBe("prepcast/manifest.json");
    expect(e.message).toMatch(/prepcast\/manifest\.json: differs from its canonical form at character 5 \(insignificant whitespace\)/);
  });
});

// Values inside the canonical subset: safe integers, any Unicode strings (no lone surrogates).
const canonicalValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    fc.string({ unit: "binary" }),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: "binary", maxLength: 6 }), tie("value"), { maxKeys: 5 }),
  ),
})).value;

function reverseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).reverse())
      Object.defineProperty(out, k, { value: reverseKeys((v as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

/** Indices of the canonical text that lie between tokens (not inside a string literal). */
function positionsOutsideStrings(text: string): number[] {
  const out: number[] = [0];
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    if (!inString) out.push(i + 1);
  }
  return out;
}

describe("canonical JSON properties", () => {
  it("parseCanonical(canonicalBytes(v)) round-trips and re-canonicalizes to the same bytes", () => {
    fc.assert(
      fc.property(canonicalValue, (v) => {
        const b = canonicalBytes(v);
        const parsed = parseCanonical(b, "prop");
        expect(canonicalBytes(parsed).equals(b)).toBe(true);
        expect(parsed).toEqual(v);
      }),
      { numRuns: 500 },
    );
  });

  it("does not depend on the order in which keys were inserted", () => {
    fc.assert(
      fc.property(canonicalValue, (v) => {
        expect(canonicalize(reverseKeys(v))).toBe(canonicalize(v));
      }),
      { numRuns: 300 },
    );
  });

  it("rejects every variant with whitespace inserted between tokens", () => {
    fc.assert(
      fc.property(canonicalValue, fc.nat(), fc.constantFrom(" ", "\n", "\t", "\r", "  "), (v, pick, ws) => {
        const text = canonicalize(v);
        const positions = positionsOutsideStrings(text);
        const at = positions[pick % positions.length]!;
        const altered = text.slice(0, at) + ws + text.slice(at);
        expect(codeOf(() => parseCanonical(Buffer.from(altered, "utf8"), "prop"))).toBe("NOT_CANONICAL");
      }),
      { numRuns: 500 },
    );
  });

  it("rejects any object whose keys are not in sorted order", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ unit: "binary", maxLength: 4 }), { minLength: 2, maxLength: 6 }), (keys) => {
        const sorted = [...keys].sort();
        const reversed = [...sorted].reverse();
        const text = `{${reversed.map((k) => `${JSON.stringify(k)}:1`).join(",")}}`;
        expect(codeOf(() => parseCanonical(Buffer.from(text, "utf8"), "prop"))).toBe("NOT_CANONICAL");
      }),
    );
  });
});

// Documents larger than the serializer's 64 Ki-character pieces (a national manifest is ~20 MB):
// the bytes, and the round-trip comparison, must not depend on where the pieces are cut.
describe("canonical JSON of large documents", () => {
  const largeValue = fc.record({
    items: fc.array(
      fc.record({ path: fc.string({ unit: "binary", maxLength: 40 }), size: fc.maxSafeInteger(), sha256: fc.string({ unit: "binary", maxLength: 70 }) }),
      {
        minLength: 1500,
        maxLength: 2500,
      },
    ),
    // one string longer than a piece, astral characters (surrogate pairs) across the cut points
    long: fc.nat({ max: 50 }).map((n) => "ñ".repeat(70_000 + n) + "😀".repeat(30_001 + n) + "x".repeat(n)),
  });

  it("writes the same bytes as the text and accepts them back, whatever the size", () => {
    fc.assert(
      fc.property(largeValue, (v) => {
        const text = canonicalize(v);
        expect(text.length).toBeGreaterThan(3 * 65_536);
        const b = canonicalBytes(v);
        expect(b.equals(Buffer.from(text, "utf8"))).toBe(true);
        expect(parseCanonical(b, "large")).toEqual(v);
      }),
      { numRuns: 15, endOnFailure: true },
    );
  });

  it("refuses whitespace, a truncation, an extra byte, a re-escaped character or swapped keys anywhere in it, saying at which character", () => {
    fc.assert(
      fc.property(largeValue, fc.nat(), fc.constantFrom("space", "cut", "extra", "escape", "order"), (v, pick, how) => {
        const text = canonicalize(v);
        let altered: string;
        let at: number;
        if (how === "space") {
          const positions = positionsOutsideStrings(text).filter((p) => ",:[{".includes(text[p - 1]!)); // still valid JSON
          at = positions[pick % positions.length]!;
          altered = text.slice(0, at) + " " + text.slice(at);
        } else if (how === "cut") {
          at = text.length - 1;
          altered = text.slice(0, -1);
        } else if (how === "extra") {
          at = text.length;
          altered = text + "\n";
        } else if (how === "order") {
          // two members swapped in an item past the first pieces: same length, same value, not canonical
          const item = v.items[v.items.length - 1 - (pick % Math.ceil(v.items.length / 4))]!;
          const canonical = canonicalize(item);
          const swapped = `{"path":${JSON.stringify(item.path)},"size":${item.size},"sha256":${JSON.stringify(item.sha256)}}`;
          const pos = text.indexOf(canonical);
          let d = 0;
          while (canonical[d] === swapped[d]) d++;
          at = pos + d;
          altered = text.slice(0, pos) + swapped + text.slice(pos + canonical.length);
          expect(altered.length).toBe(text.length);
        } else {
          at = text.lastIndexOf("😀"); // the same character as an escaped surrogate pair: same value, not canonical
          altered = text.slice(0, at) + "\\ud83d\\ude00" + text.slice(at + 2);
        }
        let err: { code?: string; message: string } | undefined;
        try {
          parseCanonical(Buffer.from(altered, "utf8"), "large");
        } catch (e) {
          err = e as { code?: string; message: string };
        }
        expect(err?.code).toBe("NOT_CANONICAL");
        if (how !== "cut") expect(err?.message).toContain(`at character ${at} `);
      }),
      { numRuns: 40, endOnFailure: true },
    );
  });
});
