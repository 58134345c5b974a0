// The behaviour contract every payload encoding must pass, as a jest suite. Import it from a test:
//   import { describeCodecCompliance } from "@prepcast/delta/compliance";
// (kept out of the package index so that production code never loads jest or fast-check; both
// are the test runner's, as for @prepcast/transport/compliance.)
//
// An encoding has two halves: the publisher's encoder (a PayloadEncoder: `encoding`, `kind`,
// `encode(target, base, outFile)`) and the receiver's applier (a PayloadApplier:
// `(req, stagingDir, store)`). The suite takes the encoder as is and the applier as one function
// of an `CodecApplyInput`, which carries both what a PayloadApplier needs (the verified cut, the
// base's ref, a real CutStore holding the base: see `installRequestOf`) and what a plain
// function like `applyDelta` takes (target files, base content, findObject).
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { isPrepcastError, type CutStore, type VerifiedCut } from "@prepcast/protocol";
import type { ApplyTarget } from "./apply";
import {
  TestCuts,
  bombContent,
  emptyFiles,
  largeFiles,
  lyingContent,
  manySmallFiles,
  nextFiles,
  prepFiles,
  prng,
  randomBuffer,
  readSiteTree,
  type CodecCutRef,
  type CutFiles,
  type HeldTestCut,
  type SignedTestCut,
} from "./compliance-cuts";
import type { CutContent } from "./content";

export type { CodecCutRef, CutFiles } from "./compliance-cuts";

/** The base a delta stream is applied against, as the receiver holds it. */
export interface CodecBase {
  /** what the offer names (InstallRequest.base) */
  ref: CodecCutRef;
  content: CutContent;
  /** the committed cut's directory in `store` (`<dir>/site/<path>`) */
  dir: string;
}

export interface CodecApplyInput {
  encoding: string;
  /** the received stream */
  streamPath: string;
  /** the signed target cut, verified (InstallRequest.verified) */
  verified: VerifiedCut;
  /** the same manifest's hash and files, as `applyDelta` takes them */
  target: ApplyTarget;
  /** the cut the stream was made against; null for a `whole` encoding */
  base: CodecBase | null;
  /** where a held file with this SHA-256 is (the base's files), or null */
  findObject: (sha256: string) => string | null;
  /** a real receiver store (what a PayloadApplier gets): the base is committed in it; empty without a base */
  store: CutStore;
  /** files go to `<stagingDir>/site/<path>` */
  stagingDir: string;
}

/** One encoding under test: a PayloadEncoder's three fields plus its applier. */
export interface CodecUnderTest {
  /** `name@version` */
  encoding: string;
  kind: "delta" | "whole";
  /** writes the stream to `outFile`; its size and SHA-256 as written */
  encode(target: CutContent, base: CutContent | null, outFile: string): Promise<{ size: number; sha256: string }>;
  /** rebuilds the target under `<stagingDir>/site` or throws a PrepcastError */
  apply(input: CodecApplyInput): Promise<unknown>;
  /** runs before the first test (e.g. start a helper process) */
  setup?(): Promise<void>;
  cleanup?(): Promise<void>;
}

export interface CodecComplianceOptions {
  /** a `delta` encoding that can also encode from no base (delta-zstd@1 can): round trips without a base too. Default true. */
  encodesWithoutBase?: boolean;
  /** runs of the byte-flip property (default 100) */
  flipRuns?: number;
  /** per test (default 60 s) */
  timeoutMs?: number;
  /**
   * More cuts to round-trip, e.g. a series from `@prepcast/cutgen`'s `generateCut` read back as
   * files: each target is encoded against its base (a `delta` encoding) and from nothing.
   */
  moreCuts?: () => Promise<Array<{ what: string; target: CutFiles; base: CutFiles }>>;
}

/** The codes a refused stream may carry: a malformed or forged stream, a file that rebuilds wrong, more than the manifest signed. */
export const CODEC_REFUSAL_CODES: readonly string[] = ["PROTOCOL_ERROR", "TRUNCATED", "HASH_MISMATCH", "SIZE_MISMATCH", "TOO_LARGE"];

/** The InstallRequest a receiver's PayloadApplier would get for this input (structurally `@prepcast/session`'s). */
export function installRequestOf(input: CodecApplyInput): {
  verified: VerifiedCut;
  encoding: string;
  base: CodecCutRef | null;
  payloadPath: string;
  receivedAt: Date;
} {
  return {
    verified: input.verified,
    encoding: input.encoding,
    base: input.base ? input.base.ref : null,
    payloadPath: input.streamPath,
    receivedAt: new Date(),
  };
}

const MiB = 1 << 20;
/** The bomb: each file of the signed cut declared this large (zeros) in the stream. */
const BOMB_FILE_BYTES = 8 * MiB;
const BOMB_FILES = 16;
/** Growth of the peak RSS allowed while a bomb is refused (the bomb rebuilds 128 MiB). */
const BOMB_RSS_LIMIT = 48 * MiB;

/**
 * Registers the suite. `factory` runs once, when the suite is declared: the encoding's `kind`
 * decides which tests exist (a `whole` encoding has no base to get wrong). Asynchronous set-up
 * goes in the codec's `setup`.
 */
export function describeCodecCompliance(name: string, factory: () => CodecUnderTest, options: CodecComplianceOptions = {}): void {
  const timeout = options.timeoutMs ?? 60_000;
  const codec = factory();
  if (codec.kind !== "delta" && codec.kind !== "whole") throw new Error(`${codec.encoding}: kind is "delta" or "whole", not "${String(codec.kind)}"`);
  const isDelta = () => codec.kind === "delta";
  describe(`payload encoding compliance: ${name}`, () => {
    let root: string;
    let cuts: TestCuts;
    let n = 0;
    const fresh = (what: string) => path.join(root, `${what}-${n++}`);

    beforeAll(async () => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-codec-compliance-"));
      cuts = new TestCuts(path.join(root, "cuts"));
      await codec.setup?.();
    });
    afterAll(async () => {
      await codec.cleanup?.();
      cuts?.close();
      if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    async function encode(target: CutContent, base: SignedTestCut | null): Promise<string> {
      const out = fresh("stream") + ".bin";
      await codec.encode(target, base ? base.content : null, out);
      return out;
    }

    async function apply(streamPath: string, target: SignedTestCut, base: HeldTestCut | null): Promise<{ staging: string }> {
      const stagingDir = fresh("staging");
      fs.mkdirSync(path.join(stagingDir, "site"), { recursive: true });
      const objects = new Map<string, string>();
      if (base) for (const f of base.verified.manifest.files) objects.set(f.sha256, path.join(base.dir, "site", ...f.path.split("/")));
      const input: CodecApplyInput = {
        encoding: codec.encoding,
        streamPath,
        verified: target.verified,
        target: { manifestSha256: target.verified.manifestSha256, files: target.verified.manifest.files },
        base: base ? { ref: base.ref, content: base.content, dir: base.dir } : null,
        findObject: (sha) => objects.get(sha) ?? null,
        store: base ? base.store : await cuts.emptyStore(),
        stagingDir,
      };
      await codec.apply(input);
      return { staging: stagingDir };
    }

    /** "applied", or the refusal's code; anything thrown that is not a PrepcastError fails the test. */
    async function outcome(p: Promise<unknown>, what: string): Promise<string> {
      try {
        await p;
        return "applied";
      } catch (e) {
        if (!isPrepcastError(e)) throw new Error(`${what}: the applier threw ${String(e)}, not a PrepcastError with a code`, { cause: e });
        return e.code;
      }
    }

    async function expectRefused(p: Promise<unknown>, what: string): Promise<string> {
      const code = await outcome(p, what);
      if (!CODEC_REFUSAL_CODES.includes(code)) throw new Error(`${what}: expected a refusal (${CODEC_REFUSAL_CODES.join(", ")}), got ${code}`);
      return code;
    }

    /** A base (for a delta) or null, the encode, the apply, the exact files back and nothing else, the base untouched. */
    async function roundTrip(targetFiles: CutFiles, baseFiles: CutFiles | null, what = "the cut"): Promise<void> {
      const base = baseFiles ? await cuts.held(baseFiles) : null;
      const target = cuts.sign(targetFiles);
      const stream = await encode(target.content, base);
      const { staging } = await apply(stream, target, base);
      const got = readSiteTree(staging);
      expect(Object.keys(got).sort()).toEqual(Object.keys(targetFiles).sort());
      const how = baseFiles ? "against its base" : "from nothing";
      for (const [p, data] of Object.entries(targetFiles)) if (!got[p]!.equals(data)) throw new Error(`${what} ${how}: ${p} rebuilt with other bytes`);
      // the base is a committed, immutable cut: an applier (hard links included) never changes it
      if (base) {
        const held = readSiteTree(base.dir);
        expect(Object.keys(held).sort()).toEqual(Object.keys(base.files).sort());
        for (const [p, data] of Object.entries(base.files)) if (!held[p]!.equals(data)) throw new Error(`${what}: base file ${p} changed`);
      }
    }

    const cases: Array<[string, () => CutFiles, () => CutFiles]> = [
      ["a PREP-like cut (JSON, CSV, a page, an empty file)", () => nextFiles(prepFiles(1, "20:00"), 2, "20:15"), () => prepFiles(1, "20:00")],
      ["a cut of empty files only", () => emptyFiles(), () => prepFiles(3, "20:00", 5)],
      ["large files (a 3 MiB CSV, 2 MiB of random bytes)", () => largeFiles(4), () => largeFiles(5)],
      ["many small files (1500)", () => manySmallFiles(6), () => nextFiles(manySmallFiles(6), 7, "x")],
    ];
    for (const [what, target, base] of cases) {
      it(
        `round trip, exact: ${what}`,
        async () => {
          const files = target();
          if (isDelta()) await roundTrip(files, base());
          if (!isDelta() || options.encodesWithoutBase !== false) await roundTrip(files, null);
        },
        timeout,
      );
    }

    const moreCuts = options.moreCuts;
    if (moreCuts)
      it(
        "round trip, exact: the cuts the caller adds",
        async () => {
          for (const { what, target, base } of await moreCuts()) {
            if (isDelta()) await roundTrip(target, base, what);
            if (!isDelta() || options.encodesWithoutBase !== false) await roundTrip(target, null, what);
          }
        },
        timeout,
      );

    it(
      "encode reports the size and SHA-256 of the stream it wrote",
      async () => {
        const base = isDelta() ? cuts.sign(prepFiles(8, "20:00", 20)) : null;
        const target = cuts.sign(nextFiles(prepFiles(8, "20:00", 20), 9, "20:15"));
        const out = fresh("stream") + ".bin";
        const stats = await codec.encode(target.content, base ? base.content : null, out);
        const bytes = fs.readFileSync(out);
        expect({ size: stats.size, sha256: stats.sha256 }).toEqual({ size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
      },
      timeout,
    );

    it(
      "every file is checked against its signed SHA-256: a well-formed stream that rebuilds one wrong byte is refused",
      async () => {
        const baseFiles = prepFiles(10, "20:00", 30);
        const base = isDelta() ? await cuts.held(baseFiles) : null;
        const target = cuts.sign({ ...nextFiles(baseFiles, 11, "20:15"), "fotos/grande.bin": randomBuffer(prng(12), 1.25 * MiB) });
        const held = new Set(base ? base.verified.manifest.files.map((f) => f.sha256) : []);
        const files = target.verified.manifest.files;
        const candidates = files.map((f, i) => ({ f, i })).filter(({ f }) => f.size > 0 && !held.has(f.sha256));
        // the first, a middle and the last file the stream carries, and the large one (past the first MiB)
        const large = candidates.find(({ f }) => f.size > MiB)!;
        const picks = new Set([candidates[0]!, candidates[Math.floor(candidates.length / 2)]!, candidates[candidates.length - 1]!, large]);
        for (const { f, i } of picks) {
          for (const at of [0, f.size - 1]) {
            const liar = lyingContent(target.content, i, (b) => {
              b[at]! ^= 0x20;
              return b;
            });
            const stream = await encode(liar, base);
            await expectRefused(apply(stream, target, base), `${f.path} with byte ${at} changed`);
          }
        }
      },
      timeout,
    );

    it(
      "property: any single flipped byte of the stream is refused with a typed error, or rebuilds the exact cut",
      async () => {
        const baseFiles = prepFiles(13, "20:00", 30);
        const base = isDelta() ? await cuts.held(baseFiles) : null;
        const targetFiles = nextFiles(baseFiles, 14, "20:15");
        const target = cuts.sign(targetFiles);
        const bytes = fs.readFileSync(await encode(target.content, base));
        await fc.assert(
          fc.asyncProperty(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, xor) => {
            const bad = Buffer.from(bytes);
            bad[at]! ^= xor;
            const file = fresh("flipped") + ".bin";
            fs.writeFileSync(file, bad);
            const what = `byte ${at} xor ${xor}`;
            let staging: string | null = null;
            const code = await outcome(
              apply(file, target, base).then((r) => (staging = r.staging)),
              what,
            );
            if (code !== "applied") {
              expect(CODEC_REFUSAL_CODES).toContain(code);
              return;
            }
            const got = readSiteTree(staging!);
            expect(Object.keys(got).sort()).toEqual(Object.keys(targetFiles).sort());
            for (const [p, data] of Object.entries(targetFiles)) if (!got[p]!.equals(data)) throw new Error(`${what}: ${p} rebuilt wrong and was accepted`);
          }),
          { numRuns: options.flipRuns ?? 100 },
        );
      },
      timeout,
    );

    it(
      "a truncated stream, and one with trailing bytes, are refused",
      async () => {
        const baseFiles = prepFiles(15, "20:00", 30);
        const base = isDelta() ? await cuts.held(baseFiles) : null;
        const target = cuts.sign(nextFiles(baseFiles, 16, "20:15"));
        const bytes = fs.readFileSync(await encode(target.content, base));
        const variants: Array<[string, Buffer]> = [
          ["an empty stream", Buffer.alloc(0)],
          ["its first byte only", bytes.subarray(0, 1)],
          ["its first half", bytes.subarray(0, bytes.length >> 1)],
          ["all but its last byte", bytes.subarray(0, bytes.length - 1)],
          ["one zero byte appended", Buffer.concat([bytes, Buffer.from([0])])],
          ["1 KiB of random bytes appended", Buffer.concat([bytes, randomBytes(1024)])],
        ];
        for (const [what, data] of variants) {
          const file = fresh("cut") + ".bin";
          fs.writeFileSync(file, data);
          await expectRefused(apply(file, target, base), what);
        }
      },
      timeout,
    );

    it(
      "a decompression bomb (a stream rebuilding far more than the manifest signed) is refused without allocating it",
      async () => {
        const baseFiles = prepFiles(17, "20:00", BOMB_FILES - 5);
        const base = isDelta() ? await cuts.held(baseFiles) : null;
        const target = cuts.sign(nextFiles(baseFiles, 18, "20:15"));
        const stream = await encode(bombContent(target, BOMB_FILE_BYTES), base);
        const declared = target.verified.manifest.files.length * BOMB_FILE_BYTES;
        expect(fs.statSync(stream).size).toBeLessThan(declared / 8);
        const before = process.resourceUsage().maxRSS * 1024;
        await expectRefused(apply(stream, target, base), `a stream rebuilding ${declared} bytes for a ${target.verified.manifest.totalSize}-byte manifest`);
        const grew = process.resourceUsage().maxRSS * 1024 - before;
        if (grew > BOMB_RSS_LIMIT)
          throw new Error(`refusing the bomb raised the peak RSS by ${(grew / MiB).toFixed(1)} MiB (limit ${BOMB_RSS_LIMIT / MiB} MiB)`);
      },
      timeout,
    );

    it(
      "a stream for another cut is refused",
      async () => {
        const baseFiles = prepFiles(19, "20:00", 30);
        const base = isDelta() ? await cuts.held(baseFiles) : null;
        const one = cuts.sign(nextFiles(baseFiles, 20, "20:15"));
        const other = cuts.sign(nextFiles(baseFiles, 21, "20:30"));
        await expectRefused(apply(await encode(one.content, base), other, base), "the stream of one cut applied as another");
      },
      timeout,
    );

    if (isDelta())
      it(
        "a stream made against another base is refused",
        async () => {
          const made = await cuts.held(prepFiles(22, "20:00", 30));
          const other = await cuts.held(prepFiles(23, "19:45", 30));
          const target = cuts.sign(nextFiles(made.files, 24, "20:15"));
          await expectRefused(apply(await encode(target.content, made), target, other), "a delta applied against another base");
        },
        timeout,
      );
  });
}
