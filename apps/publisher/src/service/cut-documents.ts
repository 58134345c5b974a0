// A prepared cut's signed documents as the repository keeps them: the manifest's summary held in
// memory for every cut, the documents read back from STATE/cuts/<id>/prepcast/ when needed.
import * as fs from "node:fs";
import * as path from "node:path";
import { PrepcastError, parseManifest, sha256Hex, type Manifest, type SignedCut } from "@prepcast/protocol";
import type { ManifestSummary } from "./prepared-cut";

export interface CutDocuments {
  manifest: Manifest;
  signed: SignedCut;
}

export function summaryOf(m: Manifest): ManifestSummary {
  const { format: _format, files, ...header } = m;
  return { ...header, fileCount: files.length };
}

/**
 * Reads a prepared cut's signed documents back from its directory, checking the manifest against
 * the hash recorded when it was signed. `validate`: parse with every manifest check (at start,
 * for cut.json files without a summary); otherwise the hash match is enough to trust our own file.
 */
export function readDocuments(dir: string, manifestSha256: string, validate: boolean): CutDocuments {
  const read = (n: string) => fs.readFileSync(path.join(dir, "prepcast", n));
  const rootDocs = fs.existsSync(path.join(dir, "prepcast", "root.json")) ? { root: read("root.json"), rootSig: read("root.sig") } : {};
  const signed: SignedCut = {
    ...rootDocs,
    keyset: read("keyset.json"),
    keysetSig: read("keyset.sig"),
    manifest: read("manifest.json"),
    manifestSig: read("manifest.sig"),
  };
  if (sha256Hex(signed.manifest) !== manifestSha256) {
    throw new PrepcastError("STATE_INVALID", `${dir}/prepcast/manifest.json does not match the hash recorded when it was signed`, {
      where: dir,
      hint: "the publisher's state directory was altered; move that cut directory aside and publish the cut again",
    });
  }
  const manifest = validate ? parseManifest(signed.manifest) : (JSON.parse(signed.manifest.toString("utf8")) as Manifest);
  return { manifest, signed };
}
