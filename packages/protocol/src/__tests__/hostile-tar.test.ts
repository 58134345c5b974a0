import * as fs from "node:fs";
import * as path from "node:path";
import { generateKeyPair } from "../trust/ed25519";
import { type ErrorCode } from "../errors";
import { readAuditLog } from "../audit-log";
import { CutStore } from "../store/cut-store";
import { installPackage } from "../store/install";
import { malleateSigFile } from "../trust/signing";
import { buildTar, END_OF_ARCHIVE, paxRecords, tarHeader, pad, type RawEntry } from "../testing";
import { makeCut, makeKeys, NOW, packageEntries, tempDir, type TestCut } from "./fixtures-package/signed-cut";

// Every attack a hostile or damaged .prep can carry, each asserted by its exact code, plus the
// promise that goes with every refusal: nothing is written outside staging, the staging
// directory is gone, the live site is untouched, and the refusal is in the audit log.

const keys = makeKeys();
const CUT1 = makeCut(keys, 1, { "index.html": "<h1>corte 1</h1>", "datos/a.json": '{"a":1}' });
const CUT2 = makeCut(keys, 2, { "index.html": "<h1>corte 2</h1>", "datos/a.json": '{"a":2}', "datos/b.json": '{"b":2}', "zeta.csv": "X|Y\n1|2\n" });
const opts = { rootPublicKey: keys.root.publicKey, now: NOW };

/** Snapshot of a directory tree: files by content, symlinks by target. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const p = path.join(d, e.name);
      if (e.isSymbolicLink()) out[r] = `-> ${fs.readlinkSync(p)}`;
      else if (e.isDirectory()) {
        out[`${r}/`] = "dir";
        walk(p, r);
      } else out[r] = fs.readFileSync(p).toString("base64");
    }
  };
  walk(dir, "");
  return out;
}

async function liveStore(): Promise<{ work: string; root: string }> {
  const work = tempDir("hostile");
  const root = path.join(work, "receiver");
  const good = path.join(work, "cut1.prep");
  fs.writeFileSync(good, buildTar(packageEntries(CUT1)));
  const store = await CutStore.open(root);
  try {
    await installPackage(store, good, opts);
  } finally {
    store.close();
  }
  return { work, root };
}

async function expectRefused(entriesOrBytes: RawEntry[] | Buffer, code: ErrorCode): Promise<void> {
  const { work, root } = await liveStore();
  const before = snapshot(work);
  const file = path.join(work, "hostile.prep");
  fs.writeFileSync(file, Buffer.isBuffer(entriesOrBytes) ? entriesOrBytes : buildTar(entriesOrBytes));
  const store = await CutStore.open(root);
  let error: unknown;
  try {
    await installPackage(store, file, opts);
  } catch (e) {
    error = e;
  } finally {
    store.close();
  }
  expect(error).toMatchObject({ code });
  const after = snapshot(work);
  delete after["hostile.prep"];
  const auditBefore = before["receiver/audit.log"];
  // the audit log grows by the refusal and state.json re-anchors it; nothing else may change
  const stateWithoutAnchor = (b64: string | undefined) => {
    const { auditHead: _anchor, ...rest } = JSON.parse(Buffer.from(b64!, "base64").toString("utf8")) as Record<string, unknown>;
    return rest;
  };
  expect(stateWithoutAnchor(after["receiver/state.json"])).toEqual(stateWithoutAnchor(before["receiver/state.json"]));
  for (const snap of [before, after]) {
    delete snap["receiver/audit.log"];
    delete snap["receiver/state.json"];
  }
  expect(after).toEqual(before); // no file anywhere else, live cut untouched
  expect(fs.readdirSync(path.join(root, "staging"))).toEqual([]);
  expect(fs.readlinkSync(path.join(root, "current"))).toMatch(/^cuts\/000001-/);
  expect(fs.readFileSync(path.join(root, "current", "site", "index.html"), "utf8")).toBe("<h1>corte 1</h1>");
  const audit = readAuditLog(path.join(root, "audit.log"));
  expect(audit.at(-1)).toMatchObject({ event: "cut.refused", data: { code } });
  expect(auditBefore).toBeDefined();
}

function entries(cut: TestCut = CUT2): RawEntry[] {
  return packageEntries(cut);
}

const FIRST_SITE = 4; // index of the first site/ entry

describe("hostile .prep packages are refused with their exact code", () => {
  test("a well-formed cut 2 installs over cut 1 (the corpus baseline)", async () => {
    const { work, root } = await liveStore();
    const file = path.join(work, "cut2.prep");
    fs.writeFileSync(file, buildTar(entries()));
    const store = await CutStore.open(root);
    await installPackage(store, file, opts);
    store.close();
    expect(fs.readFileSync(path.join(root, "current", "site", "index.html"), "utf8")).toBe("<h1>corte 2</h1>");
  });

  test("path traversal: site/../x", async () => {
    const e = entries();
    e[FIRST_SITE] = { name: "site/../x", data: e[FIRST_SITE]!.data! };
    await expectRefused(e, "PATH_UNSAFE");
  });

  test("absolute path: /etc/x", async () => {
    const e = entries();
    e[FIRST_SITE] = { name: "/etc/x", data: Buffer.from("pwned") };
    await expectRefused(e, "PATH_UNSAFE");
  });

  test("traversal hidden in a pax path record", async () => {
    const e = entries();
    e[FIRST_SITE] = { name: "site/../../../tmp/evil", data: Buffer.from("pwned"), paxName: true };
    await expectRefused(e, "PATH_UNSAFE");
  });

  test.each([
    ["symlink", "2", "/etc/passwd"],
    ["hard link", "1", "prepcast/keyset.json"],
    ["character device", "3", ""],
    ["block device", "4", ""],
    ["FIFO", "6", ""],
    ["contiguous file", "7", ""],
  ])("%s in place of a site file", async (_label, flag, linkname) => {
    const e = entries();
    const name = e[FIRST_SITE]!.name;
    e[FIRST_SITE] = { name, flag, ...(linkname ? { linkname } : {}), data: Buffer.alloc(0) };
    await expectRefused(e, "ENTRY_TYPE");
  });

  test("a symlink posing as the keyset", async () => {
    const e = entries();
    e[0] = { name: "prepcast/keyset.json", flag: "2", linkname: "/etc/passwd", data: Buffer.alloc(0) };
    await expectRefused(e, "ENTRY_TYPE");
  });

  test("directory entry", async () => {
    const e = entries();
    e.splice(FIRST_SITE, 0, { name: "site/datos/", flag: "5", data: Buffer.alloc(0) });
    await expectRefused(e, "ENTRY_TYPE");
  });

  test("entry name longer than any site path, via pax", async () => {
    const e = entries();
    e[FIRST_SITE] = { name: `site/${"a/".repeat(2100)}x`, data: Buffer.from("x"), paxName: true };
    await expectRefused(e, "HEADER_TOO_LARGE");
  });

  test("10 MB pax header is refused before it is buffered", async () => {
    const e = entries();
    const huge = Buffer.alloc(10 * 1024 * 1024, 0x41);
    e[FIRST_SITE] = { ...e[FIRST_SITE]!, paxRaw: huge };
    await expectRefused(e, "HEADER_TOO_LARGE");
  });

  test("oversized GNU long name ('L')", async () => {
    const bytes = Buffer.concat([tarHeader({ name: "././@LongLink", size: 5 * 1024 * 1024, flag: "L" }), Buffer.alloc(5 * 1024 * 1024, 0x61), END_OF_ARCHIVE]);
    await expectRefused(bytes, "HEADER_TOO_LARGE");
  });

  test("GNU long name ('L') of normal size", async () => {
    const e = entries();
    const longName = Buffer.from(`${e[FIRST_SITE]!.name}\0`);
    const prefix = Buffer.concat([tarHeader({ name: "././@LongLink", size: longName.length, flag: "L" }), longName, pad(longName.length)]);
    const bytes = buildTar(e);
    const firstSiteOffset = buildTar(e.slice(0, FIRST_SITE), { end: false }).length;
    await expectRefused(Buffer.concat([bytes.subarray(0, firstSiteOffset), prefix, bytes.subarray(firstSiteOffset)]), "ENTRY_TYPE");
  });

  test("global pax header ('g')", async () => {
    const g = paxRecords({ path: "site/index.html" });
    const bytes = Buffer.concat([tarHeader({ name: "pax_global_header", size: g.length, flag: "g" }), g, pad(g.length), buildTar(entries())]);
    await expectRefused(bytes, "ENTRY_TYPE");
  });

  test("pax record other than path (a size override)", async () => {
    const e = entries();
    e[FIRST_SITE] = { ...e[FIRST_SITE]!, paxRaw: paxRecords({ path: e[FIRST_SITE]!.name, size: "1" }) };
    await expectRefused(e, "PACKAGE_INVALID");
  });

  test("duplicate entry", async () => {
    const e = entries();
    e.splice(FIRST_SITE + 1, 0, e[FIRST_SITE]!);
    await expectRefused(e, "DUPLICATE_ENTRY");
  });

  test("duplicate signed document", async () => {
    const e = entries();
    e.splice(1, 0, e[0]!);
    await expectRefused(e, "UNEXPECTED_ENTRY");
  });

  test("entries out of manifest order", async () => {
    const e = entries();
    [e[FIRST_SITE], e[FIRST_SITE + 1]] = [e[FIRST_SITE + 1]!, e[FIRST_SITE]!];
    await expectRefused(e, "UNEXPECTED_ENTRY");
  });

  test("entry the manifest does not list", async () => {
    const e = entries();
    e.splice(FIRST_SITE + 1, 0, { name: "site/extra.js", data: Buffer.from("alert(1)") });
    await expectRefused(e, "UNEXPECTED_ENTRY");
  });

  test("missing last file", async () => {
    await expectRefused(entries().slice(0, -1), "MISSING_ENTRY");
  });

  test("signed documents missing", async () => {
    await expectRefused(entries().slice(0, 3), "MISSING_ENTRY");
  });

  test("declared size differs from the manifest", async () => {
    const e = entries();
    e[FIRST_SITE] = { ...e[FIRST_SITE]!, data: Buffer.concat([e[FIRST_SITE]!.data!, Buffer.from("++")]) };
    await expectRefused(e, "SIZE_MISMATCH");
  });

  test("content differs from the manifest (one flipped byte)", async () => {
    const e = entries();
    const data = Buffer.from(e[FIRST_SITE]!.data!);
    data[0]! ^= 0x20;
    e[FIRST_SITE] = { ...e[FIRST_SITE]!, data };
    await expectRefused(e, "HASH_MISMATCH");
  });

  test("more bytes than totalSize: an extra entry after the last file", async () => {
    const e = entries();
    e.push({ name: "site/zzz-extra", data: Buffer.from("more") });
    await expectRefused(e, "TRAILING_DATA");
  });

  test("truncated in the middle of a file", async () => {
    const bytes = buildTar(entries());
    await expectRefused(bytes.subarray(0, bytes.length - 1024 - 300), "TRUNCATED");
  });

  test("truncated after the last entry (no end-of-archive marker)", async () => {
    await expectRefused(buildTar(entries(), { end: false }), "TRUNCATED");
  });

  test("garbage after the end-of-archive marker", async () => {
    await expectRefused(Buffer.concat([buildTar(entries()), Buffer.from("rm -rf /")]), "TRAILING_DATA");
  });

  test("a whole second archive appended after the end marker", async () => {
    await expectRefused(Buffer.concat([buildTar(entries()), buildTar(entries(CUT1))]), "TRAILING_DATA");
  });

  test("site entry before the signatures", async () => {
    const e = entries();
    const site = e.splice(FIRST_SITE, 1)[0]!;
    e.unshift(site);
    await expectRefused(e, "UNEXPECTED_ENTRY");
  });

  test("manifest signed by a key the keyset does not list", async () => {
    await expectRefused(entries(makeCut(keys, 2, { "index.html": "x" }, { signWith: generateKeyPair() })), "KEY_UNKNOWN");
  });

  test("manifest edited after signing", async () => {
    const e = entries();
    e[2] = { name: "prepcast/manifest.json", data: Buffer.from(e[2]!.data!.toString().replace("corte 2", "corte 9").replace('"sequence":2', '"sequence":3')) };
    await expectRefused(e, "SIGNATURE_INVALID");
  });

  test("malleated manifest signature (S + L)", async () => {
    const e = entries();
    e[3] = { name: "prepcast/manifest.sig", data: malleateSigFile(e[3]!.data!, "manifest.sig") };
    await expectRefused(e, "SIGNATURE_INVALID");
  });

  test("oversized manifest entry is refused before it is buffered", async () => {
    const e = entries();
    e[2] = { name: "prepcast/manifest.json", data: Buffer.alloc(40 * 1024 * 1024, 0x20) };
    await expectRefused(e, "TOO_LARGE");
  });

  test("corrupted header checksum", async () => {
    const bytes = buildTar(entries());
    const off = buildTar(entries().slice(0, FIRST_SITE), { end: false }).length;
    bytes[off + 10]! ^= 1;
    await expectRefused(bytes, "PACKAGE_INVALID");
  });

  test("not a tar file at all", async () => {
    await expectRefused(Buffer.from("PK\u0003\u0004 this is a zip, not a package".repeat(40)), "PACKAGE_INVALID");
  });

  test("old GNU tar header instead of POSIX ustar", async () => {
    const e = entries();
    const bytes = buildTar(e);
    const gnu = Buffer.concat([tarHeader({ name: e[0]!.name, size: e[0]!.data!.length, magic: "ustar  \0" }), bytes.subarray(512)]);
    await expectRefused(gnu, "PACKAGE_INVALID");
  });

  test("empty file", async () => {
    await expectRefused(Buffer.alloc(0), "TRUNCATED");
  });

  test("rollback: cut 1 again after cut 1 is live is ALREADY_INSTALLED; an older sequence is ROLLBACK", async () => {
    await expectRefused(entries(CUT1), "ALREADY_INSTALLED");
    const { work, root } = await liveStore();
    const f2 = path.join(work, "c2.prep");
    fs.writeFileSync(f2, buildTar(entries()));
    const store = await CutStore.open(root);
    await installPackage(store, f2, opts);
    store.close();
    const f1 = path.join(work, "c1.prep");
    fs.writeFileSync(f1, buildTar(entries(CUT1)));
    const again = await CutStore.open(root);
    await expect(installPackage(again, f1, opts)).rejects.toMatchObject({ code: "ROLLBACK" });
    again.close();
    expect(fs.readFileSync(path.join(root, "current", "site", "index.html"), "utf8")).toBe("<h1>corte 2</h1>");
  });

  test("replay: a different cut signed with the live sequence", async () => {
    await expectRefused(entries(makeCut(keys, 1, { "index.html": "<h1>otro corte 1</h1>" })), "REPLAY");
  });
});
