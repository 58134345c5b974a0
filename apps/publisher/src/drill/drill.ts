import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PrepcastError } from "@prepcast/protocol";
import type { Logger } from "@prepcast/runtime";
import { cutTimeAt, generateCut, type Scale } from "@prepcast/cutgen";
import type { ResolvedPublisherConfig } from "../service/config";
import { PublisherService } from "../service/publisher-service";
import type { ReceiptDoc } from "@prepcast/session";

export interface DrillOptions {
  config: ResolvedPublisherConfig;
  cuts: number;
  intervalSeconds: number;
  /** Only these difusores (default: all registered). */
  receivers?: string[] | undefined;
  scale?: Scale | undefined;
  seed?: number | undefined;
  /** Extra wait after the last cut for late receipts (default: max(interval, 10 s)). */
  settleSeconds?: number | undefined;
  log?: Logger | undefined;
  onEvent?: ((line: string) => void) | undefined;
}

export interface DrillCutRow {
  sequence: number;
  corte: string;
  preparedAt: string;
  files: number;
  bytes: number;
}

export interface DrillReceiverCut {
  sequence: number;
  outcome: "live" | "staged" | "refused" | "failed" | "missing";
  receivedAt: string | null;
  activatedAt: string | null;
  /** From the cut being signed to the receipt. */
  latencyMs: number | null;
  code: string | null;
  message: string | null;
}

export interface DrillReport {
  format: "prepcast/drill-report@1";
  publisher: string;
  process: string;
  channel: "simulacro";
  startedAt: string;
  finishedAt: string;
  intervalSeconds: number;
  scale: Scale;
  cuts: DrillCutRow[];
  receivers: Array<{
    id: string;
    name: string;
    received: number;
    expected: number;
    cuts: DrillReceiverCut[];
    failures: Array<{ at: string; code: string; message: string }>;
  }>;
  ok: boolean;
}

/**
 * A timed drill on the `simulacro` channel: generates N synthetic cuts (@prepcast/cutgen),
 * signs and pushes one every `intervalSeconds` to the chosen difusores, and reports who received
 * what and when, from the signed receipts, with every refusal or failure. Drill cuts live in
 * STATE/simulacro (their own sequences, audit log and receipts): they never mix with production.
 */
export async function runDrill(opts: DrillOptions): Promise<DrillReport> {
  const c = opts.config;
  if (!Number.isInteger(opts.cuts) || opts.cuts < 1 || opts.cuts > 500)
    throw new PrepcastError("CONFIG_INVALID", `--cuts must be 1..500, got ${opts.cuts}`, { where: "--cuts" });
  if (!(opts.intervalSeconds > 0)) throw new PrepcastError("CONFIG_INVALID", "--interval must be a positive number of seconds", { where: "--interval" });
  const known = new Set(c.receiverEntries.map((r) => r.id));
  const unknown = (opts.receivers ?? []).filter((r) => !known.has(r));
  if (unknown.length > 0)
    throw new PrepcastError("NOT_FOUND", `unknown difusor(es): ${unknown.join(", ")}`, { where: "--receivers", hint: `registered: ${[...known].join(", ")}` });
  const chosen = opts.receivers && opts.receivers.length > 0 ? c.receiverEntries.filter((r) => opts.receivers!.includes(r.id)) : c.receiverEntries;
  if (chosen.length === 0) throw new PrepcastError("CONFIG_INVALID", "no difusor to drill: the registry is empty", { where: c.file });
  const state = c.channel === "simulacro" ? c.state : path.join(c.state, "simulacro");
  const config: ResolvedPublisherConfig = {
    ...c,
    channel: "simulacro",
    state,
    receiverEntries: chosen,
    monitor: { ...c.monitor, enabled: false },
    publicList: { ...c.publicList, dir: path.join(state, "public") },
  };
  const scale = opts.scale ?? "small";
  const say = opts.onEvent ?? (() => undefined);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-drill-"));
  const startedAt = new Date();
  const svc = await PublisherService.start({ config, admin: false, watchInbox: false, monitor: false, ...(opts.log ? { log: opts.log } : {}) });
  const rows = new Map<string, Map<number, DrillReceiverCut>>(chosen.map((r) => [r.id, new Map()]));
  const failures = new Map<string, Array<{ at: string; code: string; message: string }>>(chosen.map((r) => [r.id, []]));
  const prepared = new Map<number, number>();
  const row = (id: string, sequence: number): DrillReceiverCut => {
    const m = rows.get(id)!;
    let r = m.get(sequence);
    if (!r) {
      r = { sequence, outcome: "missing", receivedAt: null, activatedAt: null, latencyMs: null, code: null, message: null };
      m.set(sequence, r);
    }
    return r;
  };
  svc.on("receipt", (p: { id: string; receipt: ReceiptDoc }) => {
    if (!prepared.has(p.receipt.sequence) || p.receipt.channel !== "simulacro") return;
    const r = row(p.id, p.receipt.sequence);
    r.outcome = p.receipt.state === "active" ? "live" : "staged";
    r.receivedAt = p.receipt.receivedAt;
    r.activatedAt = p.receipt.activatedAt;
    r.latencyMs = Date.parse(p.receipt.activatedAt ?? p.receipt.receivedAt) - prepared.get(p.receipt.sequence)!;
    r.code = null;
    r.message = null;
    say(`${p.id}: corte ${p.receipt.sequence} ${r.outcome === "live" ? "en línea" : "en espera"} (${r.latencyMs} ms)`);
  });
  for (const ev of ["refused", "failed"] as const) {
    svc.on(ev, (p: { id: string; sequence: number; code: string; message: string }) => {
      const r = row(p.id, p.sequence);
      if (r.outcome === "live" || r.outcome === "staged") return;
      r.outcome = ev;
      r.code = p.code;
      r.message = p.message;
      failures.get(p.id)!.push({ at: new Date().toISOString(), code: p.code, message: p.message });
      say(`${p.id}: corte ${p.sequence} ${ev === "refused" ? "rechazado" : "fallido"}: ${p.code}`);
    });
  }
  svc.on("error-event", (p: { id: string; code: string; message: string }) => {
    const f = failures.get(p.id);
    if (f && !f.some((x) => x.code === p.code && x.message === p.message)) f.push({ at: new Date().toISOString(), code: p.code, message: p.message });
  });
  const cuts: DrillCutRow[] = [];
  const settled = (sequence: number) =>
    chosen.every((r) => {
      const x = rows.get(r.id)!.get(sequence);
      return x && x.outcome !== "missing";
    });
  const waitUntil = (deadline: number, done: () => boolean) =>
    new Promise<void>((resolve) => {
      const tick = () => (done() || Date.now() >= deadline ? resolve() : setTimeout(tick, 50));
      tick();
    });
  try {
    // generated up front so the interval measures the push, not the generator
    const generated = [];
    for (let i = 1; i <= opts.cuts; i++) generated.push(await generateCut({ outDir: tmp, k: i, scale, seed: opts.seed ?? 2024 }));
    let next = Date.now();
    for (const g of generated) {
      await waitUntil(next, () => false);
      next += opts.intervalSeconds * 1000;
      // each drill cut carries the time it is pushed: drills repeat, and a corte never goes back
      const cut = await svc.publish(g.dir, { corte: cutTimeAt(new Date()).iso });
      prepared.set(cut.ref.sequence, Date.parse(cut.preparedAt));
      for (const r of chosen) row(r.id, cut.ref.sequence);
      cuts.push({
        sequence: cut.ref.sequence,
        corte: cut.summary.corte,
        preparedAt: cut.preparedAt,
        files: cut.summary.fileCount,
        bytes: cut.summary.totalSize,
      });
      say(`simulacro: corte ${cut.ref.sequence} firmado (${cut.summary.corte}), enviado a ${chosen.length} difusor(es)`);
      await waitUntil(next, () => settled(cut.ref.sequence));
    }
    const settle = (opts.settleSeconds ?? Math.max(opts.intervalSeconds, 10)) * 1000;
    await waitUntil(Date.now() + settle, () => cuts.every((x) => settled(x.sequence)));
  } finally {
    await svc.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const receivers = chosen.map((r) => {
    const list = cuts.map((x) => row(r.id, x.sequence));
    return {
      id: r.id,
      name: r.name,
      received: list.filter((x) => x.outcome === "live" || x.outcome === "staged").length,
      expected: cuts.length,
      cuts: list,
      failures: failures.get(r.id)!,
    };
  });
  return {
    format: "prepcast/drill-report@1",
    publisher: c.id,
    process: c.process,
    channel: "simulacro",
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    intervalSeconds: opts.intervalSeconds,
    scale,
    cuts,
    receivers,
    ok: receivers.every((r) => r.received === r.expected),
  };
}

const OUTCOME: Record<DrillReceiverCut["outcome"], string> = {
  live: "en línea",
  staged: "en espera",
  refused: "rechazado",
  failed: "fallido",
  missing: "sin recibo",
};

export function drillReportMarkdown(r: DrillReport): string {
  const lines = [
    `# Informe de simulacro PREPcast`,
    ``,
    `- Publicador: ${r.publisher} · proceso ${r.process} · canal **simulacro**`,
    `- Inicio: ${r.startedAt} · fin: ${r.finishedAt}`,
    `- ${r.cuts.length} cortes (escala ${r.scale}), uno cada ${r.intervalSeconds} s`,
    `- Resultado: ${r.ok ? "**todos los difusores recibieron todos los cortes**" : "**hubo difusores sin todos los cortes**"}`,
    ``,
    `## Cortes`,
    ``,
    `| secuencia | corte | firmado | archivos | bytes |`,
    `| ---: | --- | --- | ---: | ---: |`,
    ...r.cuts.map((c) => `| ${c.sequence} | ${c.corte} | ${c.preparedAt} | ${c.files} | ${c.bytes} |`),
    ``,
    `## Difusores`,
    ``,
    `| difusor | recibidos | fallas |`,
    `| --- | ---: | ---: |`,
    ...r.receivers.map((x) => `| ${x.name} (${x.id}) | ${x.received} de ${x.expected} | ${x.failures.length} |`),
  ];
  for (const x of r.receivers) {
    lines.push(
      ``,
      `### ${x.name} (${x.id})`,
      ``,
      `| secuencia | resultado | recibido | en línea | latencia (ms) | código |`,
      `| ---: | --- | --- | --- | ---: | --- |`,
    );
    for (const c of x.cuts)
      lines.push(`| ${c.sequence} | ${OUTCOME[c.outcome]} | ${c.receivedAt ?? ""} | ${c.activatedAt ?? ""} | ${c.latencyMs ?? ""} | ${c.code ?? ""} |`);
    if (x.failures.length > 0) {
      lines.push(``, `Fallas:`, ``);
      for (const f of x.failures) lines.push(`- ${f.at} \`${f.code}\`: ${f.message.replace(/\n/g, " ")}`);
    }
  }
  return lines.join("\n") + "\n";
}
