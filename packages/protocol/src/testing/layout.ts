// Where a fake OPLE's cuts go: a .prep package (the entries in order, for tests to mutate), a
// receiver state directory as prep-receiver lays it out, and temporary directories the test
// environment removes.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cutIdOf } from "../store/state-file";
import type { FakeCut } from "./fake-ople";
import { buildTar, type RawEntry } from "./tar-builder";

/** The entries of a well-formed full package for `cut`, in order; tests mutate this list. */
export function packageEntries(cut: FakeCut): RawEntry[] {
  return [
    { name: "prepcast/keyset.json", data: cut.signed.keyset },
    { name: "prepcast/keyset.sig", data: cut.signed.keysetSig },
    { name: "prepcast/manifest.json", data: cut.manifestBytes },
    { name: "prepcast/manifest.sig", data: cut.manifestSig },
    ...cut.manifest.files.map((f) => ({ name: `site/${f.path}`, data: cut.files[f.path]! })),
  ];
}

/** The full `.prep` package of `cut`, written to `file`. */
export function writePackage(file: string, cut: FakeCut): string {
  fs.writeFileSync(file, buildTar(packageEntries(cut)));
  return file;
}

/** Writes `cut` into a receiver state directory (ROOT/cuts/<id>/{prepcast,site}) without activating it. */
export function writeCutState(root: string, cut: FakeCut): { dir: string; id: string } {
  const id = cutIdOf(cut.manifest.sequence, cut.manifestSha256);
  const dir = path.join(root, "cuts", id);
  writeFiles(path.join(dir, "site"), cut.files);
  writeFiles(path.join(dir, "prepcast"), {
    "keyset.json": cut.signed.keyset,
    "keyset.sig": cut.signed.keysetSig,
    "manifest.json": cut.manifestBytes,
    "manifest.sig": cut.manifestSig,
  });
  return { dir, id };
}

/** Points ROOT/current at cut `cutId` atomically (new symlink + rename), as the receiver does. */
export function activateCut(root: string, cutId: string): void {
  const tmp = path.join(root, `.current-${process.pid}-${Math.random().toString(16).slice(2)}`);
  fs.symlinkSync(path.join("cuts", cutId), tmp);
  fs.renameSync(tmp, path.join(root, "current"));
}

/** Writes `files` (relative path → content) under `dir`. */
export function writeFiles(dir: string, files: Record<string, string | Buffer>): string {
  for (const [p, v] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), v);
  }
  return dir;
}

/** Every file under `dir` (relative path → bytes), for byte-for-byte comparisons. */
export function readTree(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out[r] = fs.readFileSync(path.join(d, e.name));
    }
  };
  walk(dir, "");
  return out;
}

/** A new directory under the system temp directory; the repository's jest environment removes it after the test file. */
export function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  (globalThis as { __prepcastTempDirs?: string[] }).__prepcastTempDirs?.push(d);
  return d;
}
