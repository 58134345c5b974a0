// The memoria's incidents and published cuts, read from the receiver's audit log: what affected
// publication (refusals, failures, late activations, suspensions, downtime, crashes) and when.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { AuditEntry } from "@prepcast/protocol";
import { humanDuration, isoMx } from "../time";

export interface Incident {
  kind: string;
  /** Spanish label. */
  title: string;
  start: string;
  end: string | null;
  durationMs: number | null;
  detail: string;
}

export interface CutRow {
  sequence: number;
  corte: string;
  receivedAt: string | null;
  activatedAt: string;
  notBefore: string | null;
  /** activatedAt − corte */
  delayFromCorteMs: number | null;
  /** activatedAt − notBefore, when positive */
  lateByMs: number | null;
  manifestSha256: string;
}

export const LABELS: Record<string, string> = {
  refused: "Paquete rechazado",
  transfer_failed: "Transferencia fallida",
  activation_failed: "Activación fallida",
  install_failed: "Instalación fallida",
  late_activation: "Activación tardía",
  suspension: "Suspensión de la publicación",
  downtime: "Servicio detenido",
  crash: "Caída del agente (reinicio sin cierre ordenado)",
  audit_integrity: "Integridad de la bitácora",
};

function manifestNotBefore(root: string, sha: string): string | null {
  try {
    const dir = readdirSync(join(root, "cuts")).find((d) => d.endsWith(`-${sha.slice(0, 12)}`));
    if (!dir) return null;
    return (JSON.parse(readFileSync(join(root, "cuts", dir, "prepcast", "manifest.json"), "utf8")) as { notBefore?: string }).notBefore ?? null;
  } catch {
    return null;
  }
}

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
const ms = (v: string | null): number | null => (v === null ? null : Number.isFinite(Date.parse(v)) ? Date.parse(v) : null);

export function buildIncidents(
  entries: AuditEntry[],
  root: string,
  from: number,
  to: number,
  lateAfterMs: number,
): { incidents: Incident[]; cuts: CutRow[]; rejectedConnections: number } {
  const incidents: Incident[] = [];
  const cuts: CutRow[] = [];
  let rejectedConnections = 0;
  let suspendedAt: { t: number; detail: string } | null = null;
  let stoppedAt: number | null = null;
  let lastTime: number | null = null;
  const push = (kind: string, start: number, end: number | null, detail: string): void => {
    if ((end ?? start) < from || start > to) return;
    incidents.push({
      kind,
      title: LABELS[kind] ?? kind,
      start: isoMx(start),
      end: end === null ? null : isoMx(end),
      durationMs: end === null ? null : end - start,
      detail,
    });
  };
  const pushed = new Set(
    entries.filter((e) => e.event === "activated" && typeof e.data?.manifestSha256 === "string").map((e) => e.data!.manifestSha256 as string),
  );
  const activation = (d: Record<string, unknown>, time: string): void => {
    const activatedAt = str(d.activatedAt) ?? time;
    const notBefore = str(d.notBefore) ?? (typeof d.manifestSha256 === "string" ? manifestNotBefore(root, d.manifestSha256) : null);
    const a = ms(activatedAt)!;
    const nb = ms(notBefore);
    const corte = str(d.corte) ?? "";
    const row: CutRow = {
      sequence: Number(d.sequence),
      corte,
      receivedAt: str(d.receivedAt),
      activatedAt,
      notBefore,
      delayFromCorteMs: ms(corte) === null ? null : a - ms(corte)!,
      lateByMs: nb !== null && a - nb > 0 ? a - nb : null,
      manifestSha256: String(d.manifestSha256 ?? ""),
    };
    if (a >= from && a <= to) cuts.push(row);
    if (nb !== null && a - nb > lateAfterMs)
      push("late_activation", nb, a, `corte #${row.sequence} (${corte}) se publicó ${humanDuration(a - nb)} después de su hora de publicación`);
  };
  for (const e of entries) {
    const t = Date.parse(e.time);
    if (!Number.isFinite(t)) continue;
    const d = e.data ?? {};
    switch (e.event) {
      case "refused":
        if (d.code !== "ALREADY_INSTALLED") push("refused", t, null, `${d.code ?? ""} ${d.sequence ? `corte #${d.sequence}: ` : ""}${d.message ?? ""}`.trim());
        break;
      case "transfer_failed":
      case "activation_failed":
      case "install_failed":
        push(e.event, t, null, `${d.code ?? ""} ${d.sequence ? `corte #${d.sequence}: ` : ""}${d.message ?? ""}`.trim());
        break;
      case "activated":
        activation(d, e.time);
        break;
      case "cut.activated":
        // the store's record of every switch; a cut installed without the agent (`prep-receiver install`,
        // the contingency path) has only this one, a pushed cut also the agent's "activated"
        if (typeof d.manifestSha256 === "string" && !pushed.has(d.manifestSha256))
          activation({ sequence: d.sequence, corte: d.corte, manifestSha256: d.manifestSha256, activatedAt: e.time }, e.time);
        break;
      case "notice_applied":
        if (d.kind === "suspension" && !suspendedAt) suspendedAt = { t, detail: `aviso del OPLE emitido ${d.issuedAt ?? ""}` };
        else if (d.kind === "reinstatement" && suspendedAt) {
          push("suspension", suspendedAt.t, t, `${suspendedAt.detail}; reanudada por aviso emitido ${d.issuedAt ?? ""}`);
          suspendedAt = null;
        }
        break;
      case "agent_stopped":
        stoppedAt = t;
        break;
      case "agent_started":
        if (stoppedAt !== null) push("downtime", stoppedAt, t, "el agente se detuvo de forma ordenada y volvió a iniciar");
        else if (lastTime !== null)
          push(
            "crash",
            lastTime,
            t,
            "el agente volvió a iniciar sin registrar su cierre; el inicio es el último registro previo (cota inferior de la duración)",
          );
        stoppedAt = null;
        break;
      case "connection_rejected":
      case "auth_failed":
        if (t >= from && t <= to) rejectedConnections++;
        break;
      case "audit.torn-tail-recovered":
      case "audit.log-restarted":
        push("audit_integrity", t, null, `${e.event}: ${JSON.stringify(d).slice(0, 200)}`);
        break;
      default:
        break;
    }
    lastTime = t;
  }
  if (suspendedAt) push("suspension", suspendedAt.t, null, `${suspendedAt.detail}; vigente al final de la bitácora`);
  if (stoppedAt !== null) push("downtime", stoppedAt, null, "el agente se detuvo y no hay registro de reinicio");
  incidents.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  cuts.sort((a, b) => a.sequence - b.sequence);
  return { incidents, cuts, rejectedConnections };
}
