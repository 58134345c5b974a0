// What "the live tree is exactly one signed cut" means, read from outside a receiver's state
// directory (docs/architecture.md: current -> cuts/<seq>-<hash>, audit.log): shared by the fault
// tests on processes, containers and systemd units.
import * as fs from "node:fs";
import * as path from "node:path";
import { compareTrees } from "@prepcast/cutgen";

/** A receiver as the checks see it: a name for messages and its state directory (`root` in its config). */
export interface ReceiverStateRef {
  id: string;
  stateDir: string;
}

export interface LiveState {
  /** null: no `current` yet */
  sequence: number | null;
  target: string | null;
}

export function liveCut(r: ReceiverStateRef): LiveState {
  let target: string;
  try {
    target = fs.readlinkSync(path.join(r.stateDir, "current"));
  } catch {
    return { sequence: null, target: null };
  }
  const m = /^cuts\/(\d{6})-[0-9a-f]{12}$/.exec(target);
  if (!m) throw new Error(`${r.id}: current points to ${target}, not to a cut directory`);
  return { sequence: Number(m[1]), target };
}

/**
 * The live tree is exactly the cut its manifest names: the site files equal, byte for byte, the
 * cut published with that sequence (never a mix of two cuts), and the signed documents are there.
 * Returns the live sequence (null when nothing was ever live).
 */
export async function expectLiveCutIsOneSignedCut(r: ReceiverStateRef, contentBySequence: Map<number, string>, everLive: boolean): Promise<number | null> {
  const live = liveCut(r);
  if (live.sequence === null) {
    if (everLive) throw new Error(`${r.id}: the live tree disappeared after a cut had been live`);
    return null;
  }
  const dir = path.join(r.stateDir, live.target!);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "prepcast", "manifest.json"), "utf8")) as { sequence: number };
  if (manifest.sequence !== live.sequence) throw new Error(`${r.id}: ${live.target} holds the manifest of sequence ${manifest.sequence}`);
  for (const f of ["keyset.json", "keyset.sig", "manifest.sig"])
    if (!fs.existsSync(path.join(dir, "prepcast", f))) throw new Error(`${r.id}: ${live.target} lacks prepcast/${f}`);
  const expected = contentBySequence.get(live.sequence);
  if (!expected) throw new Error(`${r.id}: live sequence ${live.sequence} was never published`);
  const cmp = await compareTrees(expected, path.join(dir, "site"));
  if (!cmp.equal)
    throw new Error(`${r.id}: live tree of sequence ${live.sequence} differs from the published cut: ${JSON.stringify(cmp.differences.slice(0, 5))}`);
  return live.sequence;
}

/** The trust a receiver holds in its state.json: the keyset version it has seen, and the root version it upgraded to (absent: the configured root). */
export function receiverTrust(r: ReceiverStateRef): { keysetVersion: number; root?: { version: number } } {
  return (JSON.parse(fs.readFileSync(path.join(r.stateDir, "state.json"), "utf8")) as { trust: { keysetVersion: number; root?: { version: number } } }).trust;
}

/** The codes of the offers a receiver refused, in order, from its audit log. */
export function refusalCodes(r: ReceiverStateRef): string[] {
  return auditEntries(r)
    .filter((e) => e.event === "refused")
    .map((e) => String(e.data.code));
}

/** The receiver's audit log entries (empty before the first start). */
export function auditEntries(r: ReceiverStateRef): Array<{ event: string; time: string; data: any }> {
  const file = path.join(r.stateDir, "audit.log");
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.endsWith("}"))
    .map((l) => JSON.parse(l) as { event: string; time: string; data: any });
}
