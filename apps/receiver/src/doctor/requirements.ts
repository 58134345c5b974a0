// The thresholds `prep-receiver doctor` checks, in one place. The call for difusores (OPLE Veracruz,
// PREP 2024) asks for: a server with 8 cores at 2.0 GHz or more, 16 GB of RAM and a 100 GB SSD;
// Ubuntu Linux (22.04 LTS recommended) with Docker; an NTP client; TCP 80/443 open to everyone;
// results online until 23:59 of 9 June. The rest is what the agent itself needs. Copied, value for
// value, into docs/operations/preflight.md (a test compares them).

export interface Requirement {
  /** the value checked */
  value: number | string;
  /** where it comes from, as the runbook shows it */
  source: string;
  /** what the value means */
  text: string;
}

export const REQUIREMENTS = {
  /** CPU cores (the call: 8 cores) */
  minCores: { value: 8, source: "call", text: "CPU cores" },
  /** clock of each core, MHz (the call: 2.0 GHz or more) */
  minCpuMHz: { value: 2000, source: "call", text: "CPU clock, MHz" },
  /**
   * RAM as the kernel reports it (MemTotal), bytes. The call asks for 16 GB; a 16 GB server shows
   * 15.2–16.3 × 10^9 bytes once the firmware and the kernel have taken theirs.
   */
  minMemoryBytes: { value: 15_000_000_000, source: "call (16 GB installed)", text: "memory the kernel reports (MemTotal), bytes" },
  /** size of the disk holding the state directory, bytes (the call: 100 GB) */
  minDiskBytes: { value: 100_000_000_000, source: "call", text: "size of the disk holding the state directory, bytes" },
  /** the disk must not be rotational (the call: SSD) */
  diskKind: { value: "ssd", source: "call", text: "disk kind (/sys/block/DEV/queue/rotational = 0)" },
  /** the recommended Ubuntu release; older Ubuntu and other systems are a warning */
  ubuntuVersion: { value: "22.04", source: "call (recommended)", text: "Ubuntu release, at least" },
  /** NTP offset beyond which the clock is a warning (docs/operations/ntp.md: under 0.1 s) */
  warnSkewSeconds: { value: 0.1, source: "ntp.md", text: "clock offset from NTP that is a warning, seconds" },
  /** NTP offset beyond which the clock fails (embargo at 20:00 runs on this clock; the OPLE warns above 2 s) */
  failSkewSeconds: { value: 1, source: "ntp.md", text: "clock offset from NTP that fails, seconds" },
  /** ports the call opens to everyone */
  publicPorts: { value: "80,443", source: "call", text: "TCP ports open to everyone (the site, or a proxy in front of it)" },
  /** a certificate expiring within this many days is a warning */
  certWarnDays: { value: 30, source: "agent", text: "days before a TLS certificate's expiry that are a warning" },
  /** the live cut's keyset expiring within this many days is a warning (the OPLE must renew it) */
  keysetWarnDays: { value: 14, source: "agent", text: "days before the signing keyset's expiry that are a warning" },
  /** mode of every secret key file: no access for group or others */
  secretKeyMode: { value: "0600", source: "agent", text: "mode of secret key files (owned by the service user)" },
  /**
   * Cuts the disk must hold, in live-cut sizes, beyond `retain`: the live one, the one being
   * staged and its resumable partial payload.
   */
  extraCuts: { value: 3, source: "agent", text: "cuts of the live cut's size needed besides `retain` (live, staging, partial payload)" },
  /** how long to wait for the OPLE's URL and for timedatectl/chronyc, milliseconds */
  timeoutMs: { value: 5000, source: "agent", text: "timeout of the OPLE probe and of timedatectl/chronyc, ms (--timeout)" },
} as const satisfies Record<string, Requirement>;

export const num = (r: { value: number | string }): number => Number(r.value);
