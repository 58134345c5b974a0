import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { PrepcastError, checkCorteOrder, parseIsoWithOffset, retractionReasonProblem, type Channel } from "@prepcast/protocol";

/*
 * What the publisher checks before signing a cut (in-process, `pack`, the running service): its
 * corte, the cut order (retractions), and the final cut's end of publication.
 */

/**
 * `--final` and `--publish-until` as a manifest's `final` field: undefined without --final;
 * --publish-until alone is refused (it means nothing for an ordinary cut); the end of publication
 * must be a timestamp with offset later than the cut's corte (checked here so that the error names
 * the flag, not a field of a manifest about to be signed).
 */
export function finalCutOption(
  opts: { final?: boolean | undefined; publishUntil?: string | undefined },
  corte: string,
  defaultPublishUntil: string,
  defaultWhere: string,
): { publishUntil: string } | undefined {
  if (opts.final !== true) {
    if (opts.publishUntil !== undefined)
      throw new PrepcastError("CONFIG_INVALID", "--publish-until is only for the final cut", {
        where: "--publish-until",
        hint: "add --final to sign this cut as the last one of the process, or drop --publish-until",
      });
    return undefined;
  }
  const publishUntil = opts.publishUntil ?? defaultPublishUntil;
  const where = opts.publishUntil !== undefined ? "--publish-until" : defaultWhere;
  parseIsoWithOffset(publishUntil, where);
  if (Date.parse(publishUntil) <= Date.parse(corte)) {
    throw new PrepcastError("CONFIG_INVALID", `the end of publication ${publishUntil} (${where}) is not later than the cut's corte ${corte}`, {
      where,
      hint: "the final cut stays online until the end of publication: pass --publish-until with a later time, e.g. --publish-until 2024-06-09T23:59:00-06:00",
    });
  }
  return { publishUntil };
}

/** Where the publisher's own refusal of a cut that goes back in time points the OPLE. */
const CORTE_HINT =
  'if this cut withdraws a wrong one, sign it as a retraction: add --retract "REASON" (recorded in both audit logs); otherwise check --corte or the cut\'s data/corte.json';

/**
 * The publisher's side of the cut order: the corte must not be earlier than the latest prepared
 * cut's unless the cut is a retraction, and a retraction must actually go back in time (so the
 * override is never used to switch the check off).
 */
export function checkPublisherCorteOrder(
  cut: { process: string; channel: Channel; sequence: number; corte: string; retract?: string | undefined },
  latest: { sequence: number; corte: string; label: string } | null,
  where: string,
): void {
  parseIsoWithOffset(cut.corte, where);
  if (cut.retract !== undefined) {
    const problem = retractionReasonProblem(cut.retract);
    if (problem !== undefined)
      throw new PrepcastError("CONFIG_INVALID", `--retract ${problem}`, {
        where: "--retract",
        hint: 'e.g. --retract "el corte 42 publicó actas de otra elección"',
      });
    if (latest !== null && Date.parse(cut.corte) >= Date.parse(latest.corte)) {
      throw new PrepcastError(
        "CONFIG_INVALID",
        `--retract is for a cut that goes back in time, but corte ${cut.corte} is not earlier than the latest cut's (#${latest.sequence}, ${latest.corte})`,
        {
          where: "--retract",
          hint: "publish this cut without --retract",
        },
      );
    }
    return;
  }
  checkCorteOrder(cut, latest, { where, hint: CORTE_HINT });
}

/** The OPLE's own statement of the cut time, when the cut carries data/corte.json. */
export async function corteFromCut(cutDir: string): Promise<string> {
  try {
    const doc = JSON.parse(await fsp.readFile(path.join(cutDir, "data", "corte.json"), "utf8")) as { corte?: unknown };
    if (typeof doc.corte === "string") return doc.corte;
  } catch {
    /* fall through */
  }
  throw new PrepcastError("MANIFEST_INVALID", `cannot tell the cut's date and time: ${cutDir}/data/corte.json has no "corte"`, {
    where: cutDir,
    hint: "pass --corte 2024-06-02T20:15:00-06:00",
  });
}
