// The hostile package corpus of the conformance kit (conformance/packages/): .prep files any
// implementation can feed to its installer, each with the error code it must refuse it with.
// Deterministic: the keys are the test-vector seeds of docs/protocol.md §13.1 and the tar
// builder writes no times, so the files are the same on every run and can be committed;
// conformance-corpus.test.ts checks the committed files against this and against the reference
// installer.
import { malleateSigFile } from "../trust/signing";
import { FakeOple, fixedClockTerms, keyPairFromHex, type FakeCut } from "./fake-ople";
import { packageEntries } from "./layout";
import { buildTar, paxRecords, type RawEntry } from "./tar-builder";

export const CORPUS_NOW = "2024-06-03T02:20:00Z";
const ROOT_SEED = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const SIGNING_SEED = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";
/** A key no keyset lists. */
const STRANGER_SEED = "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf";

export interface CorpusCase {
  file: string;
  /** the code an implementation must refuse the file with, or "ACCEPTED" */
  expect: string;
  what: string;
}

export interface Corpus {
  files: Record<string, Buffer>;
  manifest: { format: string; now: string; rootPublicKey: string; base: string; procedure: string; cases: CorpusCase[] };
}

/** The corpus's OPLE: the §13.1 seeds, times that never read the clock. */
export function corpusOple(): FakeOple {
  return FakeOple.fromSeeds(
    { root: ROOT_SEED, signing: SIGNING_SEED },
    { keyset: { version: 1, createdAt: "2024-05-01T00:00:00Z", expires: "2025-05-01T00:00:00Z" }, cutDefaults: fixedClockTerms },
  );
}

export function buildCorpus(): Corpus {
  const ople = corpusOple();
  const cut1 = ople.cut(1, { "index.html": "<h1>corte 1</h1>", "datos/a.json": '{"a":1}' });
  const cut2 = ople.cut(2, { "index.html": "<h1>corte 2</h1>", "datos/a.json": '{"a":2}', "datos/b.json": '{"b":2}', "zeta.csv": "X|Y\n1|2\n" });
  const FIRST_SITE = 4;
  const entries = (c: FakeCut = cut2): RawEntry[] => packageEntries(c);
  const files: Record<string, Buffer> = {};
  const cases: CorpusCase[] = [];
  const add = (file: string, expect: string, what: string, bytes: RawEntry[] | Buffer) => {
    files[file] = Buffer.isBuffer(bytes) ? bytes : buildTar(bytes);
    cases.push({ file, expect, what });
  };
  const edit = (f: (e: RawEntry[]) => void): RawEntry[] => {
    const e = entries();
    f(e);
    return e;
  };

  files["base-cut-1.prep"] = buildTar(entries(cut1));
  add("good-cut-2.prep", "ACCEPTED", "a well-formed cut 2 (the baseline: every other case differs from it in one way)", entries());
  add(
    "path-traversal.prep",
    "PATH_UNSAFE",
    "site/../x",
    edit((e) => (e[FIRST_SITE] = { name: "site/../x", data: e[FIRST_SITE]!.data! })),
  );
  add(
    "absolute-path.prep",
    "PATH_UNSAFE",
    "an entry named /etc/x",
    edit((e) => (e[FIRST_SITE] = { name: "/etc/x", data: Buffer.from("pwned") })),
  );
  add(
    "pax-traversal.prep",
    "PATH_UNSAFE",
    "traversal hidden in a pax path record",
    edit((e) => (e[FIRST_SITE] = { name: "site/../../../tmp/evil", data: Buffer.from("pwned"), paxName: true })),
  );
  add(
    "symlink.prep",
    "ENTRY_TYPE",
    "a symbolic link in place of a site file",
    edit((e) => (e[FIRST_SITE] = { name: e[FIRST_SITE]!.name, flag: "2", linkname: "/etc/passwd", data: Buffer.alloc(0) })),
  );
  add(
    "hardlink.prep",
    "ENTRY_TYPE",
    "a hard link in place of a site file",
    edit((e) => (e[FIRST_SITE] = { name: e[FIRST_SITE]!.name, flag: "1", linkname: "prepcast/keyset.json", data: Buffer.alloc(0) })),
  );
  add(
    "fifo.prep",
    "ENTRY_TYPE",
    "a FIFO in place of a site file",
    edit((e) => (e[FIRST_SITE] = { name: e[FIRST_SITE]!.name, flag: "6", data: Buffer.alloc(0) })),
  );
  add(
    "pax-size-override.prep",
    "PACKAGE_INVALID",
    "a pax record other than path (a size override)",
    edit((e) => (e[FIRST_SITE] = { ...e[FIRST_SITE]!, paxRaw: paxRecords({ path: e[FIRST_SITE]!.name, size: "1" }) })),
  );
  add(
    "duplicate-entry.prep",
    "DUPLICATE_ENTRY",
    "the same site entry twice",
    edit((e) => e.splice(FIRST_SITE + 1, 0, e[FIRST_SITE]!)),
  );
  add(
    "duplicate-signed-document.prep",
    "UNEXPECTED_ENTRY",
    "keyset.json twice",
    edit((e) => e.splice(1, 0, e[0]!)),
  );
  add(
    "out-of-order.prep",
    "UNEXPECTED_ENTRY",
    "two site entries swapped (not in manifest order)",
    edit((e) => ([e[FIRST_SITE], e[FIRST_SITE + 1]] = [e[FIRST_SITE + 1]!, e[FIRST_SITE]!])),
  );
  add(
    "unlisted-entry.prep",
    "UNEXPECTED_ENTRY",
    "a site entry the manifest does not list",
    edit((e) => e.splice(FIRST_SITE + 1, 0, { name: "site/extra.js", data: Buffer.from("alert(1)") })),
  );
  add(
    "site-before-signatures.prep",
    "UNEXPECTED_ENTRY",
    "a site entry before the signed documents",
    edit((e) => e.unshift(e.splice(FIRST_SITE, 1)[0]!)),
  );
  add("missing-last-file.prep", "MISSING_ENTRY", "the last file of the manifest is absent", entries().slice(0, -1));
  add("signed-documents-missing.prep", "MISSING_ENTRY", "manifest.sig and every site file absent", entries().slice(0, 3));
  add(
    "size-differs.prep",
    "SIZE_MISMATCH",
    "a file two bytes longer than the manifest says",
    edit((e) => (e[FIRST_SITE] = { ...e[FIRST_SITE]!, data: Buffer.concat([e[FIRST_SITE]!.data!, Buffer.from("++")]) })),
  );
  add(
    "flipped-byte.prep",
    "HASH_MISMATCH",
    "one byte of a file changed",
    edit((e) => {
      const data = Buffer.from(e[FIRST_SITE]!.data!);
      data[0]! ^= 0x20;
      e[FIRST_SITE] = { ...e[FIRST_SITE]!, data };
    }),
  );
  add(
    "extra-entry-after-last.prep",
    "TRAILING_DATA",
    "an extra entry after the last file",
    edit((e) => e.push({ name: "site/zzz-extra", data: Buffer.from("more") })),
  );
  add("garbage-after-end.prep", "TRAILING_DATA", "bytes after the end-of-archive marker", Buffer.concat([buildTar(entries()), Buffer.from("rm -rf /")]));
  const whole = buildTar(entries());
  add("truncated-mid-file.prep", "TRUNCATED", "the archive cut in the middle of a file", whole.subarray(0, whole.length - 1024 - 300));
  add("no-end-marker.prep", "TRUNCATED", "no end-of-archive marker", buildTar(entries(), { end: false }));
  add("empty.prep", "TRUNCATED", "an empty file", Buffer.alloc(0));
  add("not-a-tar.prep", "PACKAGE_INVALID", "a zip file", Buffer.from("PK\u0003\u0004 this is a zip, not a package".repeat(40)));
  const stranger = keyPairFromHex(STRANGER_SEED);
  add(
    "key-unknown.prep",
    "KEY_UNKNOWN",
    "a manifest signed by a key the keyset does not list",
    entries(ople.cut(2, { "index.html": "x" }, { signWith: stranger })),
  );
  add(
    "manifest-edited.prep",
    "SIGNATURE_INVALID",
    "the manifest edited after signing",
    edit((e) => (e[2] = { name: "prepcast/manifest.json", data: Buffer.from(e[2]!.data!.toString().replace('"sequence":2', '"sequence":3')) })),
  );
  add(
    "malleated-signature.prep",
    "SIGNATURE_INVALID",
    "the manifest signature with L added to S (accepted by plain Ed25519)",
    edit((e) => {
      e[3] = { name: "prepcast/manifest.sig", data: malleateSigFile(e[3]!.data!, "manifest.sig") };
    }),
  );
  add("already-installed.prep", "ALREADY_INSTALLED", "cut 1 again", entries(cut1));
  add("replay.prep", "REPLAY", "another cut signed with the live sequence 1", entries(ople.cut(1, { "index.html": "<h1>otro corte 1</h1>" })));
  add(
    "corte-rollback.prep",
    "CORTE_ROLLBACK",
    "cut 3 whose corte is earlier than cut 1's, not signed as a retraction",
    entries(ople.cut(3, { "index.html": "<h1>corte 3</h1>" }, { corte: "2024-06-02T19:00:00-06:00" })),
  );

  return {
    files,
    manifest: {
      format: "prepcast/conformance-packages@1",
      now: CORPUS_NOW,
      rootPublicKey: Buffer.from(ople.root.publicKey).toString("base64"),
      base: "base-cut-1.prep",
      procedure:
        "For each case: start from an empty receiver state that pins rootPublicKey, install `base` at `now` (it must be accepted), then install the case's file at `now`. " +
        'It must be refused with exactly the code in `expect` ("ACCEPTED": installed), nothing written outside staging, the live site still cut 1.',
      cases,
    },
  };
}
