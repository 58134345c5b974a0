import type { Manifest, SignedCut } from "@prepcast/protocol";
import type { CutRefInfo } from "@prepcast/session";
import type { CutRepository } from "./cut-repository";

/** Everything about a cut's manifest but its file list (and its count instead): kept in memory for every cut. */
export type ManifestSummary = Omit<Manifest, "format" | "files"> & { fileCount: number };

/** A cut the publisher has signed and can offer: signed documents plus its full payload file. */
export interface PreparedCut {
  id: string;
  ref: CutRefInfo;
  summary: ManifestSummary;
  /**
   * The parsed manifest and the exact signed documents. Held in memory for the few most recently
   * used cuts only, read back from `dir` for older ones (a national manifest is 19 MB and ~50 MB
   * parsed: holding every cut of an election night's ~100 grew without bound).
   */
  readonly manifest: Manifest;
  readonly signed: SignedCut;
  dir: string;
  payloadPath: string;
  payloadSha256: string;
  preparedAt: string;
}

/** Cuts whose parsed manifest and signed documents stay in memory: the latest, its base, one more. */
export const HOT_CUT_DOCUMENTS = 3;

export class StoredCut implements PreparedCut {
  constructor(
    private readonly repo: CutRepository,
    readonly id: string,
    readonly ref: CutRefInfo,
    readonly summary: ManifestSummary,
    readonly dir: string,
    readonly payloadPath: string,
    readonly payloadSha256: string,
    readonly preparedAt: string,
  ) {}

  get manifest(): Manifest {
    return this.repo.documents(this).manifest;
  }

  get signed(): SignedCut {
    return this.repo.documents(this).signed;
  }
}

/** `cut.json` in a cut's directory. */
export interface CutMeta {
  format: "prepcast/publisher-cut@1";
  sequence: number;
  manifestSha256: string;
  payloadSha256: string;
  payloadSize: number;
  preparedAt: string;
  source: string;
  /** absent in cut.json files written before it existed: then the manifest is parsed at start */
  summary?: ManifestSummary;
}

export interface PrepareOptions {
  corte?: string;
  notBefore?: Date | string;
  expires?: Date | string;
  /** Defaults to one above the highest prepared sequence. */
  sequence?: number;
  /**
   * Sign the cut as a retraction, with this reason: its corte may then be earlier than the
   * latest cut's (a wrong cut withdrawn). Without it such a cut is refused (CORTE_ROLLBACK).
   */
  retract?: string;
  /** Sign the cut as the final one of the process (shown until publishUntil, or the config's publishUntil). */
  final?: boolean;
  /** With final: the signed end of publication (ISO 8601 with offset). */
  publishUntil?: string;
}
