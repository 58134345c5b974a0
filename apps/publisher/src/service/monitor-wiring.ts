import type { LinkStatus } from "./receiver-link";
import type { PublisherService } from "./publisher-service";

/** Monitor wiring: probes (when `probing`), incidents from the links, public list regeneration. */
export function wireMonitor(svc: PublisherService, probing: boolean): void {
  const m = svc.monitor;
  svc.on("refused", (p: { id: string; sequence: number; code: string; message: string }) =>
    m.noteIncident(p.id, "warning", "refused", `corte ${p.sequence} rechazado: ${p.code} ${p.message}`),
  );
  svc.on("failed", (p: { id: string; sequence: number; code: string; message: string }) =>
    m.noteIncident(p.id, "warning", "transfer_failed", `transferencia del corte ${p.sequence} fallida: ${p.code} ${p.message}`),
  );
  svc.on("error-event", (p: { id: string; code: string; message: string }) => m.noteIncident(p.id, "warning", "session_failed", `${p.code}: ${p.message}`));
  svc.on("hello", (st: LinkStatus) => {
    const h = st.hello;
    if (!h) return;
    if (Math.abs(h.clockSkewMs) > 2000)
      m.noteIncident(st.id, "warning", "clock_skew", `reloj desfasado ${(h.clockSkewMs / 1000).toFixed(1)} s respecto del OPLE: revise NTP (chrony)`);
    const latest = svc.repo.latest();
    if (h.doctor && h.doctor.failed > 0)
      m.noteIncident(
        st.id,
        "warning",
        "preflight_failed",
        `prep-receiver doctor (${h.doctor.checkedAt}): ${h.doctor.failed} requisito(s) sin cumplir: ${h.doctor.failedChecks.join(", ")}`,
      );
    if (latest && h.freeDiskBytes < 2 * latest.summary.totalSize)
      m.noteIncident(
        st.id,
        "warning",
        "disk_low",
        `espacio libre ${h.freeDiskBytes} bytes: menos del doble del último corte (${latest.summary.totalSize} bytes)`,
      );
  });
  m.on("changed", () => svc.publicList.schedule());
  svc.on("cut", () => svc.publicList.schedule());
  svc.on("receipt", (p: { id: string; receipt: { state: string } }) => {
    svc.publicList.schedule();
    // a cut went live there: check the public side now rather than at the next tick
    if (probing && p.receipt.state === "active") void m.probeOne(p.id);
  });
  svc.publicList.schedule();
  if (probing && svc.config.monitor.enabled) m.start();
}
