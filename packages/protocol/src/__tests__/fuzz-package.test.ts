// Fuzzing (fast-check) of the two parsers that see hostile bytes first: the .prep tar reader and
// the manifest parser. Bounded in time for `npm test` (~5 s per target); PREPCAST_FUZZ_RUNS or
// PREPCAST_HARDENING=1 runs longer. Every input must end in the reader's result or a typed
// PrepcastError: no other exception, no crash, no file written outside the staging directory.
import * as fs from "node:fs";
import * as path from "node:path";
import { Readable } from "node:stream";
import fc from "fast-check";
import { ERROR_CODES, isPrepcastError } from "../errors";
import { parseManifest } from "../trust/manifest";
import { readPackage } from "../archive/reader";
import { buildTar } from "../testing";
import { makeCut, makeKeys, NOW, packageEntries, tempDir } from "./fixtures-package/signed-cut";

// Measured figures are printed for the long suite (PREPCAST_HARDENING=1) or on request (PREPCAST_TEST_FIGURES=1),
// not in every `npm test`.
const printFigure = (line: string): void => {
  if (process.env.PREPCAST_HARDENING || process.env.PREPCAST_TEST_FIGURES) console.log(line);
};

const LONG = process.env.PREPCAST_HARDENING === "1";
const RUNS = Number(process.env.PREPCAST_FUZZ_RUNS ?? (LONG ? 100_000_000 : 100_000));
const TIME_MS = Number(process.env.PREPCAST_FUZZ_SECONDS ?? (LONG ? 120 : 5)) * 1000;
jest.setTimeout(TIME_MS * 3 + 30_000);

const keys = makeKeys();
const CUT = makeCut(keys, 2, {
  "index.html": "<h1>corte 2</h1>".repeat(20),
  "datos/a.json": JSON.stringify({ a: 1, pad: "x".repeat(900) }),
  "datos/b.json": JSON.stringify({ b: 2, pad: "y".repeat(1500) }),
  "zeta.csv": "X|Y\n1|2\n".repeat(100),
});
const VALID = buildTar(packageEntries(CUT));
const opts = { rootPublicKey: keys.root.publicKey, now: NOW };

type Mutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "set"; at: number; value: number }
  | { kind: "truncate"; at: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "delete"; at: number; length: number }
  | { kind: "copyBlock"; from: number; to: number }
  | { kind: "zeroBlock"; at: number };

const offset = fc.nat({ max: VALID.length - 1 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: offset, bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant("set" as const), at: offset, value: fc.constantFrom(0, 0x20, 0x2f, 0x30, 0x37, 0x7f, 0x80, 0xff) }),
  fc.record({ kind: fc.constant("truncate" as const), at: offset }),
  fc.record({ kind: fc.constant("insert" as const), at: offset, bytes: fc.uint8Array({ minLength: 1, maxLength: 1024 }) }),
  fc.record({ kind: fc.constant("delete" as const), at: offset, length: fc.integer({ min: 1, max: 1024 }) }),
  fc.record({ kind: fc.constant("copyBlock" as const), from: fc.nat({ max: VALID.length / 512 - 1 }), to: fc.nat({ max: VALID.length / 512 - 1 }) }),
  fc.record({ kind: fc.constant("zeroBlock" as const), at: fc.nat({ max: VALID.length / 512 - 1 }) }),
);

function apply(buf: Buffer, m: Mutation): Buffer {
  switch (m.kind) {
    case "flip": {
      const b = Buffer.from(buf);
      if (m.at < b.length) b[m.at] = b[m.at]! ^ (1 << m.bit);
      return b;
    }
    case "set": {
      const b = Buffer.from(buf);
      if (m.at < b.length) b[m.at] = m.value;
      return b;
    }
    case "truncate":
      return buf.subarray(0, Math.min(m.at, buf.length));
    case "insert":
      return Buffer.concat([buf.subarray(0, m.at), m.bytes, buf.subarray(m.at)]);
    case "delete":
      return Buffer.concat([buf.subarray(0, m.at), buf.subarray(m.at + m.length)]);
    case "copyBlock": {
      const b = Buffer.from(buf);
      if ((m.to + 1) * 512 <= b.length && (m.from + 1) * 512 <= b.length) buf.copy(b, m.to * 512, m.from * 512, (m.from + 1) * 512);
      return b;
    }
    case "zeroBlock": {
      const b = Buffer.from(buf);
      if ((m.at + 1) * 512 <= b.length) b.fill(0, m.at * 512, (m.at + 1) * 512);
      return b;
    }
  }
}

/** Every path under dir, relative. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out.push(r);
      if (e.isDirectory()) walk(path.join(d, e.name), r);
    }
  };
  walk(dir, "");
  return out;
}

describe("fuzzing the .prep reader and the manifest parser", () => {
  test("fuzz tar reader: readPackage on mutated valid packages only ever returns or throws a typed PrepcastError, and writes only inside staging", async () => {
    const sandbox = tempDir("fuzz-tar");
    let n = 0;
    const outcomes = new Map<string, number>();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (ms) => {
          const bytes = ms.reduce(apply, VALID);
          const staging = path.join(sandbox, "staging", String(++n));
          let outcome = "ok";
          try {
            await readPackage(Readable.from([bytes]), {
              ...opts,
              extractInto: () => (fs.mkdirSync(staging, { recursive: true }), staging),
            });
          } catch (e) {
            if (!isPrepcastError(e) || !(e.code in ERROR_CODES)) throw new Error(`untyped failure for ${JSON.stringify(ms).slice(0, 300)}: ${String(e)}`);
            outcome = e.code;
          }
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          // nothing outside staging/: the sandbox holds only the staging tree
          const stray = tree(sandbox).filter((p) => p !== "staging" && !p.startsWith("staging/"));
          if (stray.length) throw new Error(`wrote outside staging: ${stray.join(", ")}`);
          // inside staging, only under site/
          if (fs.existsSync(staging)) {
            const bad = tree(staging).filter((p) => p !== "site" && !p.startsWith("site/"));
            if (bad.length) throw new Error(`wrote outside staging/site: ${bad.join(", ")}`);
          }
          fs.rmSync(staging, { recursive: true, force: true });
        }),
        { numRuns: RUNS, interruptAfterTimeLimit: TIME_MS, markInterruptAsFailure: false },
      );
    } finally {
      fs.rmSync(sandbox, { recursive: true, force: true });
    }
    printFigure(`fuzz tar reader: ${n} mutated packages, outcomes ${JSON.stringify(Object.fromEntries([...outcomes].sort((a, b) => b[1] - a[1])))}`);
    expect(n).toBeGreaterThan(50);
    // the mutations reach past the signatures into the archive structure and the content
    expect([...outcomes.keys()].length).toBeGreaterThan(4);
  });

  test("fuzz manifest parser: parseManifest on mutated and arbitrary bytes only ever returns or throws a typed PrepcastError", () => {
    let n = 0;
    const codes = new Map<string, number>();
    const check = (bytes: Uint8Array) => {
      n++;
      try {
        parseManifest(bytes);
        codes.set("ok", (codes.get("ok") ?? 0) + 1);
      } catch (e) {
        if (!isPrepcastError(e) || !(e.code in ERROR_CODES))
          throw new Error(`untyped failure for ${Buffer.from(bytes).toString("utf8").slice(0, 300)}: ${String(e)}`);
        codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
      }
    };
    const text = CUT.manifestBytes.toString("utf8");
    const half = TIME_MS / 2;
    fc.assert(
      fc.property(fc.nat({ max: text.length }), fc.nat({ max: 40 }), fc.string({ maxLength: 40, unit: "binary" }), (at, del, ins) => {
        check(Buffer.from(text.slice(0, at) + ins + text.slice(at + del), "utf8"));
      }),
      { numRuns: RUNS, interruptAfterTimeLimit: half, markInterruptAsFailure: false },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 512 }),
          fc.json().map((j) => Buffer.from(j)),
          fc.jsonValue().map((v) => Buffer.from(JSON.stringify({ ...JSON.parse(text), files: v }))),
        ),
        (bytes) => check(bytes),
      ),
      { numRuns: RUNS, interruptAfterTimeLimit: half, markInterruptAsFailure: false },
    );
    printFigure(`fuzz manifest parser: ${n} inputs, outcomes ${JSON.stringify(Object.fromEntries(codes))}`);
    expect(n).toBeGreaterThan(100);
  });
});
