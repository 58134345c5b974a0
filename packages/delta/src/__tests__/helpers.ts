import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ManifestFile } from "@prepcast/protocol";
import { cutDirContent, type CutContent } from "../content";

export function tmpDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `prepcast-delta-${prefix}-`));
  (globalThis as { __prepcastTempDirs?: string[] }).__prepcastTempDirs?.push(d); // removed after the test file (jest.environment.js)
  return d;
}

/** Writes `files` as `<dir>/site/<path>` and returns them as a cut (manifest order: sorted by UTF-8 bytes). */
export function writeCut(dir: string, files: Record<string, Buffer>): { content: CutContent; files: ManifestFile[]; dir: string } {
  const list: ManifestFile[] = Object.keys(files)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((p) => {
      const data = files[p]!;
      const abs = path.join(dir, "site", ...p.split("/"));
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      fs.writeFileSync(abs, data);
      return { path: p, size: data.length, sha256: createHash("sha256").update(data).digest("hex") };
    });
  const sha = createHash("sha256").update(JSON.stringify(list)).digest("hex");
  return { content: cutDirContent(sha, list, dir), files: list, dir };
}

export function readSite(dir: string, files: readonly ManifestFile[]): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const f of files) out[f.path] = fs.readFileSync(path.join(dir, "site", ...f.path.split("/")));
  return out;
}
