// docs/extending.md, "A payload encoding": a third party runs the payload encoding compliance
// suite from the package's public entry point (@prepcast/delta/compliance, its exports map) on
// its PayloadEncoder/PayloadApplier pair, each adapted in one line. Here the toy gzip-example@1
// (support/gzip-example.ts), and the receiver's own delta-zstd@1 applier with the publisher's
// default encoder, exactly as the apps register them (the base found in a real CutStore), and the
// opt-in delta-zip@1 pair. All also round-trip a generated PREP cut series (cutgen, scale small: cut 2 against cut 1).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describeCodecCompliance, installRequestOf, type CutFiles } from "@prepcast/delta/compliance";
import { ENCODING_DELTA_ZIP, ENCODING_DELTA_ZSTD } from "@prepcast/delta";
import { defaultEncoders, zipDeltaEncoder } from "@prepcast/publisher";
import { deltaAppliers, zipDeltaAppliers } from "@prepcast/receiver";
import { generateCut } from "@prepcast/testkit";
import { GZIP_EXAMPLE, applyGzipExample, gzipExample } from "./support/gzip-example";

function readTree(dir: string): CutFiles {
  const out: CutFiles = {};
  for (const rel of fs.readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const abs = path.join(dir, rel);
    if (fs.statSync(abs).isFile()) out[rel.split(path.sep).join("/")] = fs.readFileSync(abs);
  }
  return out;
}

let series: Promise<Array<{ what: string; target: CutFiles; base: CutFiles }>> | null = null;
/** cutgen's cuts 1 and 2 (scale small), generated once for both suites. */
function generatedSeries() {
  return (series ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-e2e-codec-"));
    try {
      const one = await generateCut({ outDir: dir, k: 1 });
      const two = await generateCut({ outDir: dir, k: 2 });
      return [{ what: "cutgen cut 2 (small)", target: readTree(two.dir), base: readTree(one.dir) }];
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  })());
}

describeCodecCompliance(
  `${GZIP_EXAMPLE}, through @prepcast/delta/compliance`,
  () => ({
    ...gzipExample,
    apply: (input) => applyGzipExample(installRequestOf(input), input.stagingDir, input.store),
  }),
  { moreCuts: generatedSeries },
);

// the receiver's delta applier needs the base the offer names: it never rebuilds from nothing
describeCodecCompliance(
  `${ENCODING_DELTA_ZSTD} as the apps register it`,
  () => {
    const encoder = defaultEncoders({ level: 3 }).find((e) => e.encoding === ENCODING_DELTA_ZSTD)!;
    const applier = deltaAppliers()[ENCODING_DELTA_ZSTD]!;
    return { ...encoder, apply: (input) => applier(installRequestOf(input), input.stagingDir, input.store) };
  },
  { encodesWithoutBase: false, flipRuns: 50, moreCuts: generatedSeries },
);

// delta-zip@1 (opt-in on both apps), the same way: cutgen's zips are written by node:zlib, so they travel as plain files
describeCodecCompliance(
  `${ENCODING_DELTA_ZIP} as the apps register it`,
  () => {
    const encoder = zipDeltaEncoder({ level: 3 });
    const applier = zipDeltaAppliers()[ENCODING_DELTA_ZIP]!;
    return { ...encoder, apply: (input) => applier(installRequestOf(input), input.stagingDir, input.store) };
  },
  { encodesWithoutBase: false, flipRuns: 50, moreCuts: generatedSeries },
);
