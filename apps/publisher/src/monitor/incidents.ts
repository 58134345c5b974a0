import * as fs from "node:fs";

export interface Incident {
  at: string;
  receiver: string | null;
  severity: "info" | "warning" | "critical";
  kind: string;
  message: string;
}

/** The operator's list of recent incidents (display only; the audit log is the record). */
export class IncidentList {
  readonly items: Incident[] = [];

  /** Adds one and returns it; the list keeps the latest 500. */
  add(at: string, receiver: string | null, severity: Incident["severity"], kind: string, message: string): Incident {
    const incident: Incident = { at, receiver, severity, kind, message };
    this.items.push(incident);
    if (this.items.length > 500) this.items.shift();
    return incident;
  }

  /** After a restart the operator still sees the recent incidents: rebuilt from the audit log's tail (last 512 KiB, at most 200). */
  seedFromAuditLog(file: string): void {
    let text: string;
    try {
      const fd = fs.openSync(file, "r");
      try {
        const size = fs.fstatSync(fd).size;
        const len = Math.min(size, 512 * 1024);
        const buf = Buffer.alloc(len);
        fs.readSync(fd, buf, 0, len, size - len);
        text = buf.toString("utf8");
        if (len < size) text = text.slice(text.indexOf("\n") + 1);
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return;
    }
    for (const line of text.split("\n")) {
      let e: { time?: string; event?: string; data?: Record<string, unknown> };
      try {
        e = JSON.parse(line) as typeof e;
      } catch {
        continue;
      }
      const d = e.data ?? {};
      const receiver = typeof d.receiver === "string" ? d.receiver : null;
      const at = e.time ?? new Date(0).toISOString();
      const add = (severity: Incident["severity"], kind: string, message: string) => this.items.push({ at, receiver, severity, kind, message });
      if (e.event === "suspended")
        add("critical", "suspended", `${d.manual ? "suspendido por el operador" : "suspendido por la regla de 45 minutos"}: ${String(d.reason)}`);
      else if (e.event === "reinstated") add("info", "reinstated", `reinstalado por ${String(d.by)}: ${String(d.reason)}`);
      else if (e.event === "link_restored") add("info", "link_restored", "enlace restablecido en la lista pública");
      else if (e.event === "probe_state" && d.to !== "ok") add("warning", "probe_failed", `${String(d.code)}: ${String(d.message)}`);
      else if (e.event === "refused") add("warning", "refused", `corte ${String(d.sequence)} rechazado: ${String(d.code)} ${String(d.message)}`);
      else if (e.event === "transfer_failed")
        add("warning", "transfer_failed", `transferencia del corte ${String(d.sequence)} fallida: ${String(d.code)} ${String(d.message)}`);
    }
    this.items.splice(0, Math.max(0, this.items.length - 200));
  }
}
