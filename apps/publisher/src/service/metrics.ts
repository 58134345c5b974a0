import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export interface PublisherMetrics {
  connected: Gauge<"receiver">;
  liveSequence: Gauge<"receiver">;
  clockSkew: Gauge<"receiver">;
  bytesSent: Counter<"receiver">;
  refusals: Counter<"receiver" | "code">;
  transferSeconds: Histogram<string>;
  cutsPrepared: Counter<string>;
  latestSequence: Gauge<string>;
}

export function createPublisherMetrics(registry: Registry): PublisherMetrics {
  const registers = [registry];
  return {
    connected: new Gauge({
      name: "prepcast_publisher_receiver_connected",
      help: "1 when an authenticated session to the receiver is open",
      labelNames: ["receiver"],
      registers,
    }),
    liveSequence: new Gauge({
      name: "prepcast_publisher_receiver_live_sequence",
      help: "Sequence the receiver has live (from its receipts)",
      labelNames: ["receiver"],
      registers,
    }),
    clockSkew: new Gauge({
      name: "prepcast_publisher_receiver_clock_skew_seconds",
      help: "Receiver clock minus publisher clock at its hello",
      labelNames: ["receiver"],
      registers,
    }),
    bytesSent: new Counter({ name: "prepcast_publisher_bytes_sent_total", help: "Payload bytes sent", labelNames: ["receiver"], registers }),
    refusals: new Counter({
      name: "prepcast_publisher_refusals_total",
      help: "Offers refused by receivers, by code",
      labelNames: ["receiver", "code"],
      registers,
    }),
    transferSeconds: new Histogram({
      name: "prepcast_publisher_transfer_duration_seconds",
      help: "Offer to verified receipt",
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    cutsPrepared: new Counter({ name: "prepcast_publisher_cuts_prepared_total", help: "Cuts signed and prepared", registers }),
    latestSequence: new Gauge({ name: "prepcast_publisher_latest_sequence", help: "Latest prepared sequence", registers }),
  };
}
