import { PrepcastError } from "../errors";

// Canonical JSON as in RFC 8785 (JCS), restricted to what signed PREPcast documents need:
// objects with keys sorted by UTF-16 code units, arrays, strings, booleans, null and safe
// integers. Floats are refused instead of canonicalised: no signed field needs one, and
// integer-only keeps every implementation byte-identical without a float formatter.

const MAX_DEPTH = 64;
const LONE_SURROGATE = /\p{Surrogate}/u;

function notCanonical(message: string, where?: string): PrepcastError {
  return new PrepcastError("NOT_CANONICAL", where ? `${where}: ${message}` : message, {
    ...(where === undefined ? {} : { where }),
    hint: "signed documents must be canonical JSON (RFC 8785 key order, no whitespace, integers only); produce them with the PREPcast tools instead of editing them",
  });
}

function serializeString(s: string, path: string): string {
  if (LONE_SURROGATE.test(s)) throw notCanonical(`string at ${path} contains a lone UTF-16 surrogate`);
  // JSON.stringify escapes exactly what JCS escapes: ", \, and control characters below U+0020.
  return JSON.stringify(s);
}

/** The JSONPath-like name of a value, built only when needed (an error, or a container's children). */
function pathOf(parent: string, key: string | number | null): string {
  return key === null ? parent : typeof key === "number" ? `${parent}[${key}]` : `${parent}.${key}`;
}

// `parent` and `key` name the value: a leaf builds its path only to report an error (a national
// manifest has ~600,000 values; a path string for each cost more than the serialization).
function serialize(value: unknown, parent: string, key: string | number | null, depth: number): string {
  if (depth > MAX_DEPTH) throw notCanonical(`nesting deeper than ${MAX_DEPTH} levels at ${pathOf(parent, key)}`);
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "string":
      if (LONE_SURROGATE.test(value)) throw notCanonical(`string at ${pathOf(parent, key)} contains a lone UTF-16 surrogate`);
      return JSON.stringify(value); // escapes exactly what JCS escapes: ", \, and control characters below U+0020
    case "number":
      if (!Number.isSafeInteger(value)) throw notCanonical(`number at ${pathOf(parent, key)} (${String(value)}) is not a safe integer`);
      return Object.is(value, -0) ? "0" : String(value);
    case "object": {
      const path = pathOf(parent, key);
      if (Array.isArray(value)) {
        const items: string[] = [];
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) throw notCanonical(`array at ${path} has a hole at index ${i}`);
          items.push(serialize(value[i], path, i, depth + 1));
        }
        return `[${items.join(",")}]`;
      }
      // A plain object has Object.prototype (of any realm: jest and vm contexts have their own) or null as prototype.
      const proto = Object.getPrototypeOf(value);
      if (proto !== null && Object.getPrototypeOf(proto) !== null)
        throw notCanonical(`value at ${path} is a ${(value as object).constructor?.name ?? "non-plain object"}, not a plain object`);
      const keys = Object.keys(value).sort(); // default sort compares UTF-16 code units, as JCS requires
      const members: string[] = [];
      for (const k of keys) {
        const child = (value as Record<string, unknown>)[k];
        members.push(`${serializeString(k, path)}:${serialize(child, path, k, depth + 1)}`);
      }
      return `{${members.join(",")}}`;
    }
    default:
      throw notCanonical(`value at ${pathOf(parent, key)} is ${typeof value}, which JSON cannot represent`);
  }
}

/** Canonical JSON text of `value`; throws NOT_CANONICAL for anything outside the supported subset. */
export function canonicalize(value: unknown): string {
  return serialize(value, "$", null, 0);
}

/** UTF-8 bytes of `canonicalize(value)`: the exact bytes that get signed. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), "utf8");
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Parses bytes that must already be canonical: strict UTF-8, no BOM, valid JSON, and
 * canonicalize(parsed) must reproduce the input byte for byte. That single round-trip test
 * refuses whitespace, reordered or duplicate keys, escapes JCS would not write, floats, and
 * numbers written in another form.
 */
export function parseCanonical(bytes: Uint8Array, where: string): unknown {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) throw notCanonical("starts with a UTF-8 byte order mark", where);
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw notCanonical("is not valid UTF-8", where);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw notCanonical(`is not valid JSON (${(e as Error).message})`, where);
  }
  let again: string;
  try {
    again = canonicalize(parsed);
  } catch (e) {
    throw notCanonical((e as PrepcastError).message, where);
  }
  if (again !== text) {
    let i = 0;
    while (i < again.length && i < text.length && again[i] === text[i]) i++;
    const hasDuplicateKeys = again.length < text.length && !/\s/.test(text.slice(i, i + 1));
    const cause = /\s/.test(text[i] ?? "")
      ? "insignificant whitespace"
      : hasDuplicateKeys
        ? "a duplicate key, a non-canonical escape or number"
        : "keys out of order or a value written in another form";
    throw notCanonical(
      `differs from its canonical form at character ${i} (${cause}): found ${JSON.stringify(text.slice(i, i + 16))}, expected ${JSON.stringify(again.slice(i, i + 16))}`,
      where,
    );
  }
  return parsed;
}
