// Cuts for the serving benchmark laid out as the receiver installs them (cuts/<id>/site, signed
// documents) and switched by renaming the `current` symlink, as the agent does.
import { mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { createKeyset, createManifest, encodeSigFile, generateKeyPair, keyIdOf, sha256Hex, signDocument } from "@prepcast/protocol";

export function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name), base) : [relative(base, join(dir, e.name))]));
}

export function install(
  root: string,
  srcDir: string,
  sequence: number,
  corte: string,
  keys: { root: ReturnType<typeof generateKeyPair>; signing: ReturnType<typeof generateKeyPair> },
): string {
  const files = walk(srcDir).map((p) => {
    const bytes = readFileSync(join(srcDir, p));
    return { path: p, size: bytes.length, sha256: sha256Hex(bytes), bytes };
  });
  const keyset = createKeyset({ version: 1, expires: new Date(Date.now() + 86_400_000 * 30), signingPublicKeys: [keys.signing.publicKey] });
  const manifest = createManifest({
    process: "VER-2024",
    channel: "simulacro",
    sequence,
    corte,
    files,
    createdAt: new Date(Date.parse(corte) - 60_000),
    notBefore: new Date(Date.parse(corte) - 60_000),
    expires: new Date(Date.now() + 86_400_000 * 30),
  });
  const id = `${String(sequence).padStart(6, "0")}-${sha256Hex(manifest).slice(0, 12)}`;
  const dir = join(root, "cuts", id);
  for (const f of files) {
    mkdirSync(join(dir, "site", f.path, ".."), { recursive: true });
    writeFileSync(join(dir, "site", f.path), f.bytes);
  }
  mkdirSync(join(dir, "prepcast"), { recursive: true });
  writeFileSync(join(dir, "prepcast", "keyset.json"), keyset);
  writeFileSync(join(dir, "prepcast", "keyset.sig"), encodeSigFile(signDocument("keyset", keyset, keys.root.secretKey, keyIdOf(keys.root.publicKey))));
  writeFileSync(join(dir, "prepcast", "manifest.json"), manifest);
  writeFileSync(
    join(dir, "prepcast", "manifest.sig"),
    encodeSigFile(signDocument("manifest", manifest, keys.signing.secretKey, keyIdOf(keys.signing.publicKey))),
  );
  return id;
}

export function activate(root: string, id: string): void {
  const tmp = join(root, `.current-${Math.random().toString(16).slice(2)}`);
  symlinkSync(join("cuts", id), tmp);
  renameSync(tmp, join(root, "current"));
}
