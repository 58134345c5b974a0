import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** The agent's Prometheus series on /metrics (names are part of the difusor's dashboards: keep them). */
export interface ReceiverMetrics {
  bytes: Counter<string>;
  activated: Counter<string>;
  failures: Counter<"code">;
  connected: Gauge<string>;
  liveSequence: Gauge<string>;
  duration: Histogram<string>;
  rejected: Counter<string>;
  analyticsDropped: Gauge<string>;
  analyticsBytes: Gauge<string>;
}

/** `siteStore`: the site's analytics store while the site runs (read at scrape time). */
export function createReceiverMetrics(registry: Registry, siteStore: () => { droppedHits(): number; usage(): { bytes: number } } | undefined): ReceiverMetrics {
  const registers = [registry];
  const m: ReceiverMetrics = {
    bytes: new Counter({ name: "prepcast_receiver_bytes_received_total", help: "Payload bytes received", registers }),
    activated: new Counter({ name: "prepcast_receiver_cuts_activated_total", help: "Cuts switched live", registers }),
    failures: new Counter({
      name: "prepcast_receiver_verification_failures_total",
      help: "Offers refused or transfers failed, by code",
      labelNames: ["code"],
      registers,
    }),
    analyticsDropped: new Gauge({
      name: "prepcast_receiver_analytics_dropped_hits",
      help: "Site requests not recorded by the analytics (disk budget reached or writer saturated), since the database was created",
      registers,
      collect: () => {
        const store = siteStore();
        if (store) m.analyticsDropped.set(store.droppedHits());
      },
    }),
    analyticsBytes: new Gauge({
      name: "prepcast_receiver_analytics_bytes",
      help: "Disk used by the analytics database (file + WAL)",
      registers,
      collect: () => {
        const store = siteStore();
        if (store) m.analyticsBytes.set(store.usage().bytes);
      },
    }),
    connected: new Gauge({ name: "prepcast_receiver_connected_peers", help: "Authenticated publisher sessions open", registers }),
    liveSequence: new Gauge({ name: "prepcast_receiver_live_sequence", help: "Sequence of the live cut", registers }),
    duration: new Histogram({
      name: "prepcast_receiver_transfer_duration_seconds",
      help: "Offer accepted to payload complete",
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    rejected: new Counter({ name: "prepcast_receiver_rejected_connections_total", help: "Connections dropped by the allowlist", registers }),
  };
  return m;
}
