import { Counter, Gauge, type Registry } from "prom-client";

/** The monitor's Prometheus series (names are part of the operator's dashboards: keep them). */
export interface MonitorMetrics {
  probeOk: Gauge<"receiver">;
  servedSequence: Gauge<"receiver">;
  suspended: Gauge<"receiver">;
  probes: Counter<"receiver" | "verdict">;
}

export function createMonitorMetrics(registry: Registry): MonitorMetrics {
  const registers = [registry];
  return {
    probeOk: new Gauge({
      name: "prepcast_publisher_probe_ok",
      help: "1 when the difusor's public site served the latest cut at the last probe",
      labelNames: ["receiver"],
      registers,
    }),
    servedSequence: new Gauge({
      name: "prepcast_publisher_probe_served_sequence",
      help: "Sequence the public site served at the last probe",
      labelNames: ["receiver"],
      registers,
    }),
    suspended: new Gauge({
      name: "prepcast_publisher_receiver_suspended",
      help: "1 while the difusor is suspended (45-minute rule or operator)",
      labelNames: ["receiver"],
      registers,
    }),
    probes: new Counter({ name: "prepcast_publisher_probes_total", help: "Public-URL probes by verdict", labelNames: ["receiver", "verdict"], registers }),
  };
}
