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

/**
 * Where serialized text goes. Values are written piece by piece, so a large document (a national
 * manifest is ~20 MB of text for ~140,000 files) never exists as nested arrays of strings: a
 * sink turns the pieces into bytes 64 Ki characters at a time.
 */
interface Sink {
  write(piece: string): void;
}

const FLUSH_AT = 1 << 16;

// `parent` and `key` name the value: a leaf builds its path only to report an error (a national
// manifest has ~600,000 values; a path string for each cost more than the serialization).
function serialize(value: unknown, out: Sink, parent: string, key: string | number | null, depth: number): void {
  if (depth > MAX_DEPTH) throw notCanonical(`nesting deeper than ${MAX_DEPTH} levels at ${pathOf(parent, key)}`);
  if (value === null) return out.write("null");
  switch (typeof value) {
    case "boolean":
      return out.write(value ? "true" : "false");
    case "string":
      if (LONE_SURROGATE.test(value)) throw notCanonical(`string at ${pathOf(parent, key)} contains a lone UTF-16 surrogate`);
      return out.write(JSON.stringify(value)); // escapes exactly what JCS escapes: ", \, and control characters below U+0020
    case "number":
      if (!Number.isSafeInteger(value)) throw notCanonical(`number at ${pathOf(parent, key)} (${String(value)}) is not a safe integer`);
      return out.write(Object.is(value, -0) ? "0" : String(value));
    case "object": {
      const path = pathOf(parent, key);
      if (Array.isArray(value)) {
        out.write("[");
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) throw notCanonical(`array at ${path} has a hole at index ${i}`);
          if (i > 0) out.write(",");
          serialize(value[i], out, path, i, depth + 1);
        }
        return out.write("]");
      }
      // A plain object has Object.prototype (of any realm: jest and vm contexts have their own) or null as prototype.
      const proto = Object.getPrototypeOf(value);
      if (proto !== null && Object.getPrototypeOf(proto) !== null)
        throw notCanonical(`value at ${path} is a ${(value as object).constructor?.name ?? "non-plain object"}, not a plain object`);
      const keys = Object.keys(value).sort(); // default sort compares UTF-16 code units, as JCS requires
      out.write("{");
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        if (i > 0) out.write(",");
        out.write(serializeString(k, path));
        out.write(":");
        serialize((value as Record<string, unknown>)[k], out, path, k, depth + 1);
      }
      return out.write("}");
    }
    default:
      throw notCanonical(`value at ${pathOf(parent, key)} is ${typeof value}, which JSON cannot represent`);
  }
}

/** Collects the text as UTF-8: one Buffer per 64 Ki characters, joined once at the end. */
class BytesSink implements Sink {
  private pending = "";
  private readonly chunks: Buffer[] = [];
  private size = 0;
  write(piece: string): void {
    this.pending += piece;
    if (this.pending.length >= FLUSH_AT) this.flush();
  }
  private flush(): void {
    const chunk = Buffer.from(this.pending, "utf8");
    this.chunks.push(chunk);
    this.size += chunk.length;
    this.pending = "";
  }
  bytes(): Buffer {
    this.flush();
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
  }
}

/**
 * Compares the text, as UTF-8, with `expected` as it is produced, through one reused scratch
 * buffer: checking that a document is canonical costs no second copy of it.
 */
class CompareSink implements Sink {
  private pending = "";
  private offset = 0;
  private differs = false;
  private readonly scratch = Buffer.allocUnsafe(FLUSH_AT * 3 + 8); // a UTF-16 code unit is at most 3 UTF-8 bytes
  constructor(private readonly expected: Uint8Array) {}
  write(piece: string): void {
    if (this.differs) return;
    this.pending += piece;
    if (this.pending.length >= FLUSH_AT) this.flush();
  }
  private flush(): void {
    const text = this.pending;
    this.pending = "";
    // at most FLUSH_AT code units at a time, so that the UTF-8 always fits the scratch buffer;
    // a long string is cut between code points, never inside a surrogate pair
    for (let at = 0; at < text.length && !this.differs;) {
      let end = Math.min(text.length, at + FLUSH_AT);
      const last = text.charCodeAt(end - 1);
      if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
      this.compare(at === 0 && end === text.length ? text : text.slice(at, end));
      at = end;
    }
  }
  private compare(text: string): void {
    const n = this.scratch.write(text, 0, "utf8");
    const end = this.offset + n;
    if (end > this.expected.length || Buffer.compare(this.scratch.subarray(0, n), this.expected.subarray(this.offset, end)) !== 0) this.differs = true;
    this.offset = end;
  }
  /** Whether everything written equals `expected`, all of it. */
  matches(): boolean {
    this.flush();
    return !this.differs && this.offset === this.expected.length;
  }
}

class StringSink implements Sink {
  text = "";
  write(piece: string): void {
    this.text += piece;
  }
}

/** Canonical JSON text of `value`; throws NOT_CANONICAL for anything outside the supported subset. */
export function canonicalize(value: unknown): string {
  const out = new StringSink();
  serialize(value, out, "$", null, 0);
  return out.text;
}

/** UTF-8 bytes of `canonicalize(value)`: the exact bytes that get signed (written without the text as one string). */
export function canonicalBytes(value: unknown): Buffer {
  const out = new BytesSink();
  serialize(value, out, "$", null, 0);
  return out.bytes();
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
  text = ""; // no longer needed unless the document turns out not to be canonical (decoded again then)
  // The round trip is compared with the input as it is written (CompareSink); only a document
  // that differs is serialized again as a whole, to say where and why.
  try {
    const out = new CompareSink(bytes);
    serialize(parsed, out, "$", null, 0);
    if (out.matches()) return parsed;
  } catch (e) {
    throw notCanonical((e as PrepcastError).message, where);
  }
  const again = canonicalize(parsed);
  text = strictUtf8.decode(bytes);
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
