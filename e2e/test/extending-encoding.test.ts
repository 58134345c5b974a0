// docs/extending.md, "A payload encoding": a third party runs the payload encoding compliance
// suite from the package's public entry point (@prepcast/delta/compliance, its exports map) on
// its PayloadEncoder/PayloadApplier pair, each adapted in one line. Here the toy gzip-example@1
// (support/gzip-example.ts), and the receiver's own delta-zstd@1 applier with the publisher's
// default encoder, exactly as the apps register them (the base found in a real CutStore).
import { describeCodecCompliance, installRequestOf } from "@prepcast/delta/compliance";
import { ENCODING_DELTA_ZSTD } from "@prepcast/delta";
import { defaultEncoders } from "@prepcast/publisher";
import { deltaAppliers } from "@prepcast/receiver";
import { GZIP_EXAMPLE, applyGzipExample, gzipExample } from "./support/gzip-example";

describeCodecCompliance(`${GZIP_EXAMPLE}, through @prepcast/delta/compliance`, () => ({
  ...gzipExample,
  apply: (input) => applyGzipExample(installRequestOf(input), input.stagingDir, input.store),
}));

// the receiver's delta applier needs the base the offer names: it never rebuilds from nothing
describeCodecCompliance(
  `${ENCODING_DELTA_ZSTD} as the apps register it`,
  () => {
    const encoder = defaultEncoders({ level: 3 }).find((e) => e.encoding === ENCODING_DELTA_ZSTD)!;
    const applier = deltaAppliers()[ENCODING_DELTA_ZSTD]!;
    return { ...encoder, apply: (input) => applier(installRequestOf(input), input.stagingDir, input.store) };
  },
  { encodesWithoutBase: false, flipRuns: 50 },
);
