// kill -9 of a real receiver process at random points of transfer and activation, N times in a
// row. After each kill: the live tree is exactly one signed cut (never a mix, never empty once a
// cut was live); after each restart the receiver converges to the latest cut.
import * as fs from "node:fs";
import * as path from "node:path";
import { Cluster, cutTime, generateCut, waitFor } from "@prepcast/testkit";
import { expectExactlyOneSignedCut, liveState, pushInBackground, auditEvents } from "./faults";

function auditLines(r: { dir: string }): Array<{ event: string; time: string; data: any }> {
  return fs
    .readFileSync(path.join(r.dir, "data", "audit.log"), "utf8")
    .split("\n")
    .filter((l) => l.endsWith("}"))
    .map((l) => JSON.parse(l) as { event: string; time: string; data: any });
}

export interface KillLoopReport {
  iterations: number;
  kills: number;
  /** where the kill landed, from the receiver's own record */
  phases: Record<string, number>;
  resumedTransfers: number;
  checks: number;
  mixesFound: number;
  emptyAfterLive: number;
  converged: number;
  seconds: number;
  /** the random kill delay ranges over this (ms after the offer was accepted) */
  windowMs: number;
  /** restarts retried because another process held one of the receiver's ports */
  portRetries: number;
}

/**
 * Starts the killed receiver again. Its ports were picked free at set-up; while it was dead another
 * process on this machine may briefly hold one of them (EADDRINUSE): that is the test machine, not
 * the receiver, so it is retried and counted.
 */
async function restart(cluster: Cluster, r: Cluster["receivers"][number], report: KillLoopReport): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await cluster.startReceiver(r);
      return;
    } catch (e) {
      await cluster.kill(r, "SIGKILL").catch(() => undefined);
      if (!/EADDRINUSE/.test(r.log.slice(-2000)) || attempt >= 5) throw e;
      report.portRetries++;
      r.log += "\n[restart retried after EADDRINUSE]\n";
      await new Promise((res) => setTimeout(res, 2000));
    }
  }
}

export async function killReceiverLoop(iterations: number, seed = Date.now()): Promise<KillLoopReport> {
  const t0 = Date.now();
  let rnd = seed >>> 0 || 1;
  const random = () => (rnd = (rnd * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const cluster = await Cluster.create([{ id: "victim", transport: "grpc" }]);
  const report: KillLoopReport = {
    iterations,
    kills: 0,
    phases: {},
    resumedTransfers: 0,
    checks: 0,
    mixesFound: 0,
    emptyAfterLive: 0,
    converged: 0,
    seconds: 0,
    windowMs: 0,
    portRetries: 0,
  };
  try {
    const r = cluster.receivers[0]!;
    await cluster.startReceiver(r);
    await cluster.startPublisher();
    // three distinct contents, used in turn: consecutive cuts always differ, so a mix shows
    const cutsDir = path.join(cluster.dir, "cuts");
    const contents = [];
    for (let k = 1; k <= 3; k++) contents.push((await generateCut({ outDir: cutsDir, k, scale: "small", actas: k !== 2 })).dir);
    const bySequence = new Map<number, string>();
    bySequence.set(1, contents[0]!);
    const first = cluster.push(contents[0]!);
    if (!first.json?.ok) throw new Error(`first push failed: ${first.stdout}`);
    bySequence.set(2, contents[1]!);
    const second = cluster.push(contents[1]!);
    if (!second.json?.ok) throw new Error(`second push failed: ${second.stdout}`);
    // the window to aim at: the receiver's own transfer-to-receipt time for a cut, from its audit
    const at = (name: string) => Date.parse((auditLines(r).find((l) => l.event === name && l.data?.sequence === 2)?.time as string) ?? "");
    const windowMs = Math.max(300, (at("receipt_sent") - at("transfer_started")) * 1.3 || 1500);
    report.windowMs = windowMs;
    let everLive = true;
    for (let i = 0; i < iterations; i++) {
      const seq = i + 3;
      const content = contents[(seq - 1) % 3]!;
      bySequence.set(seq, content);
      // the contents come round again, the corte never does: each sequence is the next 15 minutes
      const push = pushInBackground(cluster, content, 180, ["--corte", cutTime(seq).iso]);
      // aim at the transfer and the activation: wait for the offer to be accepted (a fresh
      // partial payload), then a random delay across the transfer-to-receipt window; one kill in
      // ten lands before the offer instead
      if (random() >= 0.1) {
        const partialMeta = path.join(r.dir, "data", "partial", "partial.json");
        await waitFor(
          "the transfer to start",
          () => (fs.existsSync(partialMeta) && fs.readFileSync(partialMeta, "utf8").includes(`"sequence":${seq},`)) || liveState(r).sequence === seq,
          60_000,
          2,
        ).catch(() => undefined);
      }
      await new Promise((res) => setTimeout(res, Math.floor(random() * windowMs)));
      await cluster.kill(r, "SIGKILL");
      report.kills++;
      // where did it land? the receiver's own audit and partial payload tell
      const events = auditEvents(r)
        .filter((e) => e.data?.sequence === seq)
        .map((e) => e.event);
      const live = liveState(r).sequence;
      const phase =
        live === seq
          ? events.includes("receipt_sent")
            ? "after-receipt"
            : "activated-before-receipt"
          : events.includes("received")
            ? "verifying-or-committing"
            : events.includes("transfer_started")
              ? "transferring"
              : "before-transfer";
      report.phases[phase] = (report.phases[phase] ?? 0) + 1;
      report.checks++;
      try {
        const s = await expectExactlyOneSignedCut(r, bySequence, everLive);
        if (s !== null) everLive = true;
      } catch (e) {
        if (/disappeared/.test(String(e))) report.emptyAfterLive++;
        else report.mixesFound++;
        throw e;
      }
      await restart(cluster, r, report);
      const res = await push.done;
      if (res.code !== 0) throw new Error(`push of sequence ${seq} did not complete after the restart (exit ${res.code}): ${res.out.slice(-800)}`);
      await waitFor(`receiver live at ${seq}`, () => liveState(r).sequence === seq, 60_000, 50);
      report.checks++;
      await expectExactlyOneSignedCut(r, bySequence, true);
      report.converged++;
      if (auditEvents(r).some((e) => e.event === "transfer_started" && e.data.sequence === seq && e.data.resumeOffset > 0)) report.resumedTransfers++;
    }
  } catch (e) {
    const r = cluster.receivers[0]!;
    throw new Error(`${(e as Error).message}\n--- receiver log ---\n${r.log.slice(-2000)}\n--- publisher log ---\n${cluster.publisherLog.slice(-2000)}`);
  } finally {
    report.seconds = Math.round((Date.now() - t0) / 1000);
    await cluster.stop();
    cluster.cleanup();
  }
  return report;
}
