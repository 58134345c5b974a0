import { randomBytes } from "node:crypto";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import {
  DEFAULT_PUBLISH_UNTIL,
  PrepcastError,
  checkCorteOrder,
  compareUtf8,
  createManifestDocument,
  encodeSigFile,
  sha256Hex,
  signDocument,
  walkCutDir,
  writeFileAtomic,
  readPackage,
  type Channel,
  type Manifest,
  type PublisherSigningMaterial,
  type SignedCut,
  type VerifySignedCutOptions,
} from "@prepcast/protocol";
import { FilePayloadSource } from "@prepcast/session";
import { checkPublisherCorteOrder, corteFromCut, finalCutOption } from "./cut-order";
import { copyIntoPayload } from "./payload-copy";
import { readDocuments, summaryOf, type CutDocuments } from "./cut-documents";
import { HOT_CUT_DOCUMENTS, StoredCut, type CutMeta, type ManifestSummary, type PreparedCut, type PrepareOptions } from "./prepared-cut";

export { HOT_CUT_DOCUMENTS, type ManifestSummary, type PreparedCut, type PrepareOptions } from "./prepared-cut";

const pad = (n: number) => String(n).padStart(6, "0");

/**
 * Lists the cut directory and copies each file into the payload while hashing it, in one pass, so
 * what is signed is exactly what was copied even if the source changes afterwards. The listing
 * (absolute paths, inodes) dies with this call: at national scale it is ~50 MB that would
 * otherwise stay alive while the manifest is built.
 */
async function listAndCopy(cutDir: string, payloadPath: string): ReturnType<typeof copyIntoPayload> {
  const files = await walkCutDir(cutDir);
  files.sort((a, b) => compareUtf8(a.path, b.path));
  return copyIntoPayload(files, payloadPath);
}

/**
 * The publisher's cuts: `STATE/cuts/<seq>-<hash12>/` holds the exact signed documents and
 * `payload.full` (the files concatenated in manifest order). Built once per cut, read by every
 * receiver session from the same file. Sequences only grow, per process and channel.
 */
export class CutRepository {
  private readonly cuts = new Map<number, PreparedCut>();
  /** parsed manifests and signed documents of the most recently used cuts (Map order = recency) */
  private readonly hot = new Map<string, CutDocuments>();
  private readonly sources = new Map<string, Promise<FilePayloadSource>>();
  private preparing: Promise<unknown> = Promise.resolve();
  /** cuts an in-flight delivery uses (its target and its base), by sequence, with a count */
  private readonly pins = new Map<number, number>();

  private constructor(
    readonly stateDir: string,
    readonly process: string,
    readonly channel: Channel,
    private signing: PublisherSigningMaterial,
    /** end of publication signed into a final cut prepared without its own publishUntil */
    readonly publishUntil: string,
  ) {}

  static async open(
    stateDir: string,
    opts: { process: string; channel: Channel; signing: PublisherSigningMaterial; publishUntil?: string },
  ): Promise<CutRepository> {
    const repo = new CutRepository(stateDir, opts.process, opts.channel, opts.signing, opts.publishUntil ?? DEFAULT_PUBLISH_UNTIL);
    const root = path.join(stateDir, "cuts");
    await fsp.mkdir(root, { recursive: true, mode: 0o750 });
    for (const name of await fsp.readdir(root)) {
      if (name.startsWith(".tmp-")) {
        await fsp.rm(path.join(root, name), { recursive: true, force: true });
        continue;
      }
      const dir = path.join(root, name);
      try {
        repo.remember(await repo.load(dir));
      } catch {
        // an unreadable cut directory is left for the operator; it is never offered
      }
    }
    return repo;
  }

  private async load(dir: string): Promise<PreparedCut> {
    const meta = JSON.parse(await fsp.readFile(path.join(dir, "cut.json"), "utf8")) as CutMeta;
    let summary = meta.summary;
    if (!summary) {
      const docs = readDocuments(dir, meta.manifestSha256, true);
      summary = summaryOf(docs.manifest);
    }
    return this.stored(dir, meta, summary);
  }

  private stored(dir: string, meta: CutMeta, summary: ManifestSummary): PreparedCut {
    const ref = { process: summary.process, channel: summary.channel, sequence: summary.sequence, manifestSha256: meta.manifestSha256 };
    return new StoredCut(this, path.basename(dir), ref, summary, dir, path.join(dir, "payload.full"), meta.payloadSha256, meta.preparedAt);
  }

  private remember(cut: PreparedCut): void {
    if (cut.summary.process === this.process && cut.summary.channel === this.channel) this.cuts.set(cut.ref.sequence, cut);
  }

  /** A cut's parsed manifest and signed documents: from memory, or read back (and re-hashed) from its directory. */
  documents(cut: PreparedCut): CutDocuments {
    let docs = this.hot.get(cut.id);
    if (docs) this.hot.delete(cut.id);
    else docs = readDocuments(cut.dir, cut.ref.manifestSha256, false);
    this.keepHot(cut.id, docs);
    return docs;
  }

  /** What the next cut is signed with (the service swaps it when the keys directory holds a new keyset). */
  get signingMaterial(): PublisherSigningMaterial {
    return this.signing;
  }

  useSigningMaterial(signing: PublisherSigningMaterial): void {
    this.signing = signing;
  }

  /** How many cuts' documents are held in memory (at most HOT_CUT_DOCUMENTS). */
  get hotDocuments(): number {
    return this.hot.size;
  }

  private keepHot(id: string, docs: CutDocuments): void {
    this.hot.set(id, docs);
    while (this.hot.size > HOT_CUT_DOCUMENTS) this.hot.delete(this.hot.keys().next().value!);
  }

  latest(): PreparedCut | null {
    let best: PreparedCut | null = null;
    for (const c of this.cuts.values()) if (!best || c.ref.sequence > best.ref.sequence) best = c;
    return best;
  }

  get(sequence: number): PreparedCut | undefined {
    return this.cuts.get(sequence);
  }

  list(): PreparedCut[] {
    return [...this.cuts.values()].sort((a, b) => a.ref.sequence - b.ref.sequence);
  }

  /** The shared payload reader of a cut (one open file for every receiver). */
  payload(cut: PreparedCut): Promise<FilePayloadSource> {
    let p = this.sources.get(cut.id);
    if (!p) {
      p = FilePayloadSource.open(cut.payloadPath, Buffer.from(cut.payloadSha256, "hex"));
      this.sources.set(cut.id, p);
    }
    return p;
  }

  /**
   * Marks a cut as in use by an in-flight delivery (as its target or its base) until the returned
   * release is called: prune() never removes a pinned cut. Safe to call for an unknown sequence.
   */
  pin(sequence: number): () => void {
    this.pins.set(sequence, (this.pins.get(sequence) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.pins.get(sequence) ?? 1) - 1;
      if (n <= 0) this.pins.delete(sequence);
      else this.pins.set(sequence, n);
    };
  }

  /** The sequences pinned by in-flight deliveries. */
  pinned(): number[] {
    return [...this.pins.keys()];
  }

  /**
   * Retention: removes every prepared cut except the newest `keepNewest`, the final cut(s), the
   * newest cut already public (the monitor's expectation), the sequences in `held` (what
   * receivers hold) and any cut pinned by an in-flight delivery. A removed cut leaves the
   * repository at once (nothing can plan a delivery with it afterwards); its directory is renamed
   * to a `.tmp-` name (removed at the next start should this crash) and deleted. Returns the
   * removed cuts.
   */
  async prune(opts: { keepNewest: number; held: Iterable<number>; now?: number }): Promise<PreparedCut[]> {
    const all = this.list();
    const keep = new Set<number>([...opts.held, ...this.pins.keys()]);
    for (const c of all.slice(-Math.max(1, opts.keepNewest))) keep.add(c.ref.sequence);
    for (const c of all) if (c.summary.final) keep.add(c.ref.sequence);
    const now = opts.now ?? Date.now();
    const pub = all.filter((c) => Date.parse(c.summary.notBefore) <= now).pop();
    if (pub) keep.add(pub.ref.sequence);
    const victims = all.filter((c) => !keep.has(c.ref.sequence));
    // out of the repository synchronously, before any await: no delivery can pick them up now
    for (const c of victims) {
      this.cuts.delete(c.ref.sequence);
      this.hot.delete(c.id);
    }
    const root = path.join(this.stateDir, "cuts");
    for (const c of victims) {
      const source = this.sources.get(c.id);
      this.sources.delete(c.id);
      await source?.then(
        (s) => s.close(),
        () => undefined,
      );
      const doomed = path.join(root, `.tmp-pruned-${randomBytes(6).toString("hex")}`);
      try {
        await fsp.rename(c.dir, doomed);
      } catch {
        continue; // already gone
      }
      await fsp.rm(doomed, { recursive: true, force: true });
    }
    return victims;
  }

  /** Closes the payload files opened for the sessions (after every link has stopped). */
  async close(): Promise<void> {
    const open = [...this.sources.values()];
    this.sources.clear();
    await Promise.all(
      open.map((p) =>
        p.then(
          (s) => s.close(),
          () => undefined,
        ),
      ),
    );
  }

  private nextSequence(requested?: number): number {
    const latest = this.latest()?.ref.sequence ?? 0;
    if (requested === undefined) return latest + 1;
    if (!Number.isInteger(requested) || requested <= latest) {
      throw new PrepcastError("ROLLBACK", `sequence ${requested} is not above the latest prepared cut (${latest}) for ${this.process}/${this.channel}`, {
        hint: `omit --sequence to use ${latest + 1}`,
      });
    }
    return requested;
  }

  /** Signs a cut directory: manifest, signature, and the full payload written once. */
  prepare(cutDir: string, opts: PrepareOptions = {}): Promise<PreparedCut> {
    const run = this.preparing.then(() => this.prepareNow(cutDir, opts));
    this.preparing = run.catch(() => undefined);
    return run;
  }

  private async prepareNow(cutDir: string, opts: PrepareOptions): Promise<PreparedCut> {
    const sequence = this.nextSequence(opts.sequence);
    const corte = opts.corte ?? (await corteFromCut(cutDir));
    const latest = this.latest();
    checkPublisherCorteOrder(
      { process: this.process, channel: this.channel, sequence, corte, retract: opts.retract },
      latest ? { sequence: latest.ref.sequence, corte: latest.summary.corte, label: `the latest cut, #${latest.ref.sequence}` } : null,
      opts.corte !== undefined ? "--corte" : path.join(cutDir, "data", "corte.json"),
    );
    const final = finalCutOption(opts, corte, this.publishUntil, "publishUntil (config)");
    const root = path.join(this.stateDir, "cuts");
    const tmp = path.join(root, `.tmp-${randomBytes(6).toString("hex")}`);
    await fsp.mkdir(path.join(tmp, "prepcast"), { recursive: true });
    try {
      const { files: hashed, sha256: payloadSha256 } = await listAndCopy(cutDir, path.join(tmp, "payload.full"));
      const { bytes: manifestBytes, manifest } = createManifestDocument({
        process: this.process,
        channel: this.channel,
        sequence,
        corte,
        files: hashed,
        ...(opts.notBefore !== undefined ? { notBefore: opts.notBefore } : {}),
        ...(opts.expires !== undefined ? { expires: opts.expires } : {}),
        ...(opts.retract !== undefined ? { retraction: { reason: opts.retract } } : {}),
        ...(final !== undefined ? { final } : {}),
      });
      const manifestSig = encodeSigFile(signDocument("manifest", manifestBytes, this.signing.signingKey.secretKey, this.signing.signingKey.keyid));
      const rootDocs = this.signing.root !== undefined && this.signing.rootSig !== undefined ? { root: this.signing.root, rootSig: this.signing.rootSig } : {};
      const signed: SignedCut = { ...rootDocs, keyset: this.signing.keyset, keysetSig: this.signing.keysetSig, manifest: manifestBytes, manifestSig };
      return await this.commit(tmp, signed, manifest, payloadSha256, cutDir);
    } catch (e) {
      await fsp.rm(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  /** Accepts a ready `.prep` (signed elsewhere, e.g. by an offline signing station). */
  async importPackage(file: string, verify: Pick<VerifySignedCutOptions, "rootPublicKey" | "now">): Promise<PreparedCut> {
    const root = path.join(this.stateDir, "cuts");
    const tmp = path.join(root, `.tmp-${randomBytes(6).toString("hex")}`);
    await fsp.mkdir(path.join(tmp, "prepcast"), { recursive: true });
    try {
      // Extract (verifying every file), then lay the files end to end as the full payload.
      const result = await readPackage(file, {
        ...verify,
        accept: { process: this.process, channels: [this.channel] },
        extractInto: () => path.join(tmp, "extract"),
      });
      const extracted = result.verified.manifest.files.map((f) => ({ path: f.path, absolute: path.join(tmp, "extract", "site", ...f.path.split("/")) }));
      const { sha256: payloadSha256 } = await copyIntoPayload(extracted, path.join(tmp, "payload.full"));
      await fsp.rm(path.join(tmp, "extract"), { recursive: true, force: true });
      const manifest = result.verified.manifest;
      this.nextSequence(manifest.sequence);
      const latest = this.latest();
      // a package signed elsewhere carries its own retraction (or not): the same rule as the receivers'
      checkCorteOrder(manifest, latest ? { corte: latest.summary.corte, label: `the latest cut, #${latest.ref.sequence}` } : null, {
        where: file,
        hint: "a package that goes back in time must be signed as a retraction (pack --retract REASON)",
      });
      return await this.commit(tmp, result.verified.signed, manifest, payloadSha256, file);
    } catch (e) {
      await fsp.rm(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  private async commit(tmp: string, signed: SignedCut, manifest: Manifest, payloadSha256: string, source: string): Promise<PreparedCut> {
    const manifestSha256 = sha256Hex(signed.manifest);
    if (signed.root !== undefined && signed.rootSig !== undefined) {
      await writeFileAtomic(path.join(tmp, "prepcast", "root.json"), signed.root);
      await writeFileAtomic(path.join(tmp, "prepcast", "root.sig"), signed.rootSig);
    }
    await writeFileAtomic(path.join(tmp, "prepcast", "keyset.json"), signed.keyset);
    await writeFileAtomic(path.join(tmp, "prepcast", "keyset.sig"), signed.keysetSig);
    await writeFileAtomic(path.join(tmp, "prepcast", "manifest.json"), signed.manifest);
    await writeFileAtomic(path.join(tmp, "prepcast", "manifest.sig"), signed.manifestSig);
    const meta: CutMeta = {
      format: "prepcast/publisher-cut@1",
      sequence: manifest.sequence,
      manifestSha256,
      payloadSha256,
      payloadSize: manifest.totalSize,
      preparedAt: new Date().toISOString(),
      source: path.resolve(source),
      summary: summaryOf(manifest),
    };
    await writeFileAtomic(path.join(tmp, "cut.json"), JSON.stringify(meta, null, 2) + "\n");
    const dir = path.join(this.stateDir, "cuts", `${pad(manifest.sequence)}-${manifestSha256.slice(0, 12)}`);
    await fsp.rename(tmp, dir);
    const cut = this.stored(dir, meta, meta.summary!);
    this.keepHot(cut.id, { manifest, signed });
    this.remember(cut);
    return cut;
  }
}
