// docs/extending.md, "A payload encoding", at the level of the apps: an encoding neither app
// knows ("gzip-example@1", the `full` payload gzipped) registered from outside, without editing
// either app: a PayloadEncoder in the publisher service's `encoders`, a PayloadApplier in the
// receiver agent's `appliers`. Real gRPC + TLS on loopback, real stores, generated cuts.
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { applyFullPayload, PrepcastError } from "@prepcast/protocol";
import { compareTrees, generateCut } from "@prepcast/testkit";
import { checkEncoders, defaultEncoders, type PayloadEncoder } from "@prepcast/publisher";
import { deltaAppliers, type PayloadApplier } from "@prepcast/receiver";
import { ENCODING_FULL_ZSTD } from "@prepcast/delta";
import { InProcessCluster } from "./delta/cluster";

jest.setTimeout(60_000);

const GZIP_EXAMPLE = "gzip-example@1";

/** Publisher side: the cut's files end to end (the `full` layout, §9.1), gzipped. */
const gzipExample: PayloadEncoder = {
  encoding: GZIP_EXAMPLE,
  kind: "whole",
  async encode(target, _base, outFile) {
    const hash = createHash("sha256");
    let size = 0;
    async function* files() {
      for (let i = 0; i < target.files.length; i++) yield await target.read(i);
    }
    const gzip = zlib.createGzip({ level: 9 });
    gzip.on("data", (b: Buffer) => {
      hash.update(b);
      size += b.length;
    });
    await pipeline(Readable.from(files()), gzip, fs.createWriteStream(outFile));
    return { size, sha256: hash.digest("hex"), files: target.files.length };
  },
};

/** Receiver side: inflate within the signed size, then the `full` applier checks every file against its signed hash. */
const applyGzipExample: PayloadApplier = async (req, stagingDir) => {
  const m = req.verified.manifest;
  let full: Buffer;
  try {
    full = zlib.gunzipSync(fs.readFileSync(req.payloadPath), { maxOutputLength: Math.max(1, m.totalSize) });
  } catch (e) {
    throw new PrepcastError("PROTOCOL_ERROR", `${GZIP_EXAMPLE} payload does not inflate within the manifest's ${m.totalSize} bytes: ${(e as Error).message}`);
  }
  if (full.length !== m.totalSize) throw new PrepcastError("TRUNCATED", `${GZIP_EXAMPLE} payload inflates to ${full.length} bytes, the manifest says ${m.totalSize}`);
  await applyFullPayload(stagingDir, m, Readable.from([full]));
};

const cluster = new InProcessCluster();
const cutsDir = path.join(cluster.dir, "cuts");
const cutDir = (k: number) => path.join(cutsDir, `c${k}`, `cut-${String(k).padStart(4, "0")}`);
const offersOf = (sequence: number) =>
  Object.fromEntries(cluster.audit("offer").map((r) => r.data as { receiver: string; sequence: number; encoding: string }).filter((o) => o.sequence === sequence).map((o) => [o.receiver, o.encoding]));

beforeAll(async () => {
  await generateCut({ outDir: path.join(cutsDir, "c1"), k: 1, scale: "small" });
  for (const id of ["knows", "plain"]) await cluster.addReceiver(id);
});

afterAll(async () => {
  await cluster.stop();
  cluster.cleanup();
});

test("an encoding registered on both apps from outside: offered to the receiver that lists it, the others keep the built-in ones", async () => {
  await cluster.startReceiver("knows", { appliers: { ...deltaAppliers(), [GZIP_EXAMPLE]: applyGzipExample } });
  await cluster.startReceiver("plain");
  // first in preference, ahead of the built-in encodings
  const pub = await cluster.startPublisher({ encoders: [gzipExample, ...defaultEncoders()] });
  await pub.publish(cutDir(1));
  const deadline = Date.now() + 30_000;
  while (pub.status().receivers.some((r) => r.live?.sequence !== 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(offersOf(1)).toEqual({ knows: GZIP_EXAMPLE, plain: ENCODING_FULL_ZSTD });
  for (const id of ["knows", "plain"]) {
    const live = cluster.node(id).agent!.store.live();
    expect(live?.record.sequence).toBe(1);
    expect((await compareTrees(cutDir(1), live!.siteDir)).differences).toEqual([]);
  }
  // the stream was built once, in the publisher's stream cache, under its encoding's name
  expect(fs.readdirSync(path.join(cluster.pubDir, "state", "deltas")).filter((f) => f.endsWith(".gzip-example_1.bin"))).toHaveLength(1);
});

test("a bad registration is refused before the service starts, with what to change", () => {
  const refuse = (list: PayloadEncoder[]) => {
    try {
      checkEncoders(list);
    } catch (e) {
      return `${(e as PrepcastError).code}: ${(e as Error).message}`;
    }
    return "accepted";
  };
  expect(refuse([gzipExample, ...defaultEncoders()])).toBe("accepted");
  expect(refuse([gzipExample, gzipExample])).toBe(`CONFIG_INVALID: payload encoder "${GZIP_EXAMPLE}" is registered twice`);
  expect(refuse([{ ...gzipExample, encoding: "full" }])).toBe('CONFIG_INVALID: payload encoder "full" has an invalid name');
  expect(refuse([{ ...gzipExample, encoding: "Gzip Example" }])).toBe('CONFIG_INVALID: payload encoder "Gzip Example" has an invalid name');
});
