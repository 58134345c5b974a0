import * as fs from "node:fs";
import * as os from "node:os";
import { formatBytes } from "@prepcast/protocol";
import { num, REQUIREMENTS as R } from "../requirements";
import * as sys from "../system";
import { existingAncestor, fail, gb, pass, warn, worst, type Check, type CheckStatus } from "./check";

/** The machine against the call's requirements: CPU, memory, disk, system, Docker/systemd, NTP. */
export const HOST_CHECKS: Check[] = [
  {
    id: "cpu",
    title: `CPU: ${R.minCores.value} cores at ${(num(R.minCpuMHz) / 1000).toFixed(1)} GHz or more (call)`,
    run() {
      const cores = os.cpus().length;
      const mhz = sys.cpuMHz();
      const what = `${cores} cores${mhz !== null ? ` at ${(mhz / 1000).toFixed(2)} GHz` : ""} (os.cpus, /proc/cpuinfo)`;
      if (cores < num(R.minCores))
        return fail(what, `the call asks for ${R.minCores.value} cores: move the agent to a server (or VM size) with at least ${R.minCores.value}`);
      if (mhz === null) return warn(`${what}; the clock speed is not reported`, "confirm with your provider that each core runs at 2.0 GHz or more");
      if (mhz < num(R.minCpuMHz)) return fail(what, `the call asks for cores at ${(num(R.minCpuMHz) / 1000).toFixed(1)} GHz or more: choose a faster server`);
      return pass(what);
    },
  },
  {
    id: "memory",
    title: "memory: 16 GB (call)",
    run() {
      const total = os.totalmem();
      const what = `${gb(total)} (${formatBytes(total)}) reported by the kernel`;
      return total >= num(R.minMemoryBytes)
        ? pass(what)
        : fail(what, `the call asks for 16 GB of RAM (the kernel then reports at least ${gb(num(R.minMemoryBytes))}): add memory`);
    },
  },
  {
    id: "disk",
    title: "disk: 100 GB SSD holding the state directory (call)",
    run(ctx) {
      const at = existingAncestor(ctx.root);
      const dev = sys.blockDeviceOf(at);
      if (!dev) {
        const mount = sys.mountOf(at);
        return warn(
          `the disk under ${at} could not be identified in /sys/block${mount ? ` (${mount.fsType} ${mount.source} on ${mount.mountPoint})` : ""}`,
          "check by hand: lsblk -d -o NAME,SIZE,ROTA (ROTA 0 = SSD, size at least 100 GB)",
        );
      }
      const what = `${ctx.root} is on /dev/${dev.name}: ${gb(dev.sizeBytes)}, ${dev.rotational === null ? "kind unknown" : dev.rotational ? "rotational" : "not rotational (SSD)"} (/sys/block/${dev.name}, ${dev.via})`;
      let status: CheckStatus = "pass";
      const fixes: string[] = [];
      if (dev.sizeBytes < num(R.minDiskBytes)) {
        status = "fail";
        fixes.push(`the call asks for a 100 GB disk: put ${ctx.root} on a larger one`);
      }
      if (dev.rotational === true) {
        // virtual disks often report 1 whatever the storage behind them is
        const virtual = /^(vd|xvd)/.test(dev.name);
        status = worst(status, virtual ? "warn" : "fail");
        fixes.push(
          virtual
            ? `/dev/${dev.name} is a virtual disk that reports itself rotational: confirm with your provider that it is backed by SSD (the call)`
            : "the call asks for an SSD: move the state directory to one",
        );
      } else if (dev.rotational === null) {
        status = worst(status, "warn");
        fixes.push(`confirm the disk kind: cat /sys/block/${dev.name}/queue/rotational (0 = SSD)`);
      }
      return status === "pass" ? pass(what) : { status, detail: what, fix: fixes.join("; ") };
    },
  },
  {
    id: "os",
    title: `operating system: Ubuntu ${R.ubuntuVersion.value} LTS or later (call)`,
    run() {
      const rel = sys.osRelease();
      if (!rel) return warn("/etc/os-release cannot be read", "check the system by hand: lsb_release -a");
      const name = rel.PRETTY_NAME ?? `${rel.ID ?? "?"} ${rel.VERSION_ID ?? ""}`;
      if (rel.ID !== "ubuntu")
        return warn(
          `${name} (/etc/os-release): not the call's Ubuntu; PREPcast runs on it, but the OPLE's procedures and support assume Ubuntu`,
          `the call recommends Ubuntu ${R.ubuntuVersion.value} LTS: plan a move, or agree this system with the OPLE's UTSI`,
        );
      const [maj, min] = (rel.VERSION_ID ?? "0").split(".").map(Number);
      const [wantMaj, wantMin] = String(R.ubuntuVersion.value).split(".").map(Number);
      if ((maj ?? 0) * 100 + (min ?? 0) < wantMaj! * 100 + wantMin!)
        return warn(
          `${name}: older than the recommended ${R.ubuntuVersion.value}`,
          `upgrade to Ubuntu ${R.ubuntuVersion.value} LTS or later (sudo do-release-upgrade)`,
        );
      return pass(`${name} (/etc/os-release)`);
    },
  },
  {
    id: "runtime",
    title: "Docker (call) or systemd to run the agent",
    async run(ctx) {
      const found: string[] = [];
      const docker = await sys.run("docker", ["--version"], ctx.timeoutMs);
      if (docker && docker.code === 0) found.push(docker.stdout.trim().split("\n")[0]!);
      else if (fs.existsSync("/var/run/docker.sock")) found.push("Docker socket /var/run/docker.sock");
      if (fs.existsSync("/run/systemd/system")) found.push("systemd is the init system (/run/systemd/system)");
      if (found.length > 0) return pass(found.join("; "));
      return fail(
        "neither Docker (docker --version, /var/run/docker.sock) nor systemd (/run/systemd/system) was found",
        "install Docker as the call asks (docs/operations/install-ubuntu-docker.md), or run the agent under systemd (install-ubuntu-systemd.md)",
      );
    },
  },
  {
    id: "ntp",
    title: "clock synchronised by NTP (call), offset small",
    async run(ctx) {
      const checked: string[] = [];
      let synced: boolean | null = null;
      let offset: number | null = null;
      const td = await sys.run("timedatectl", ["show", "-p", "NTPSynchronized", "--value"], ctx.timeoutMs);
      if (td && td.code === 0 && /^(yes|no)$/.test(td.stdout.trim())) {
        checked.push(`timedatectl: NTPSynchronized=${td.stdout.trim()}`);
        synced = td.stdout.trim() === "yes";
      } else checked.push("timedatectl: no answer");
      const chrony = await sys.run("chronyc", ["-n", "tracking"], ctx.timeoutMs);
      const m = chrony ? /System time\s*:\s*([\d.]+) seconds (fast|slow)/.exec(chrony.stdout) : null;
      if (chrony && chrony.code === 0 && m) {
        offset = Number(m[1]);
        const leap = /Leap status\s*:\s*(.+)/.exec(chrony.stdout)?.[1]?.trim() ?? "?";
        checked.push(`chronyc tracking: ${m[1]} s ${m[2]}, leap status ${leap}`);
        synced = (synced ?? true) && leap === "Normal";
      } else checked.push(chrony ? "chronyc: not tracking" : "chronyc: not installed or no answer");
      if (fs.existsSync("/run/systemd/timesync")) {
        const ok = fs.existsSync("/run/systemd/timesync/synchronized");
        checked.push(`systemd-timesyncd: ${ok ? "synchronized" : "not synchronized"} (/run/systemd/timesync)`);
        synced = synced === null ? ok : synced || ok;
      }
      const detail = `checked ${checked.join("; ")}`;
      const fixNtp =
        "install and enable an NTP client (sudo apt-get install -y chrony), allow outbound UDP 123, then chronyc tracking (docs/operations/ntp.md)";
      if (synced === null) return warn(`${detail}: nothing could tell whether the clock is synchronised`, fixNtp);
      if (!synced) return fail(`${detail}: the clock is not synchronised`, fixNtp);
      if (offset !== null && offset > num(R.failSkewSeconds))
        return fail(
          `${detail}: offset above ${R.failSkewSeconds.value} s (the 20:00 embargo runs on this clock)`,
          "find out why (blocked UDP 123, a VM host fighting chrony): docs/operations/ntp.md",
        );
      if (offset !== null && offset > num(R.warnSkewSeconds))
        return warn(
          `${detail}: offset above ${R.warnSkewSeconds.value} s`,
          "let chrony converge (chronyc makestep), check the NTP servers: docs/operations/ntp.md",
        );
      return pass(`${detail}${offset === null ? " (offset not measured: only chrony reports it)" : ""}`);
    },
  },
];
