// The systemd install guides, followed word for word on two fresh servers that boot systemd (the
// OPLE's and a difusor's, sharing one loopback and nothing else), installing from the
// release files: docs/operations/install-publisher-systemd.md and install-ubuntu-systemd.md run
// through docScript, with only their `values` blocks given this test's values. The test plays the
// courier between the two (root.pub one way, the difusor's key and fingerprint the other) and the
// OPLE's results system (it writes the cuts). Then the units are killed as systemd would see a
// crash, and must come back by themselves and converge; an invalid config must stop the restarts.
// Needs: podman, the release (npm run release) in PREPCAST_RELEASE_DIR (default release/) and its
// key's PEM in PREPCAST_RELEASE_KEY_PEM.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateCut, waitFor } from "@prepcast/testkit";
import { containerSuitesReady, podmanAsync, VERSION } from "./helpers/podman";
import { repoPath } from "./helpers/repo";
import { ensureServerImage, Server } from "./helpers/server";

const RELEASE_DIR = process.env.PREPCAST_RELEASE_DIR ?? repoPath("release");
const RELEASE_PEM = process.env.PREPCAST_RELEASE_KEY_PEM ?? "";
const files = [`prepcast-publisher-${VERSION}.tgz`, `prepcast-receiver-${VERSION}.tgz`, "SHA256SUMS", "SHA256SUMS.sig"];
const missing = [
  ...files.filter((f) => !fs.existsSync(path.join(RELEASE_DIR, f))).map((f) => `${RELEASE_DIR}/${f}`),
  ...(RELEASE_PEM && fs.existsSync(RELEASE_PEM) ? [] : ["PREPCAST_RELEASE_KEY_PEM"]),
];
if (missing.length && process.env.PREPCAST_CONTAINERS === "1")
  throw new Error(
    `the systemd guides suite needs the release: missing ${missing.join(", ")} (npm run release -- --key KEY, and PREPCAST_RELEASE_KEY_PEM=its release.pem)`,
  );
const ready = missing.length ? { ok: false as const, why: `missing ${missing.join(", ")}` } : containerSuitesReady([]);
const suite = ready.ok ? describe : describe.skip;
jest.setTimeout(3_600_000);

const DIFUSOR_GUIDE = "docs/operations/install-ubuntu-systemd.md";
const OPLE_GUIDE = "docs/operations/install-publisher-systemd.md";

suite(`the systemd install guides on fresh servers${ready.ok ? "" : ` (skipped: ${ready.why})`}`, () => {
  let ople: Server;
  let difusor: Server;
  const courier = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-courier-"));
  const cuts = path.join(courier, "cuts");

  beforeAll(async () => {
    ensureServerImage();
    // two servers sharing one loopback: the difusor's addresses are the OPLE's 127.0.0.1
    ople = await Server.boot(`prepcast-guides-${process.pid}-ople`, "ople");
    difusor = await Server.boot(`prepcast-guides-${process.pid}-difusor`, "difusor", ople);
    // the release files, as each side received them from the OPLE's release engineers
    for (const [server, app] of [
      [ople, "publisher"],
      [difusor, "receiver"],
    ] as const) {
      for (const f of [`prepcast-${app}-${VERSION}.tgz`, "SHA256SUMS", "SHA256SUMS.sig"]) server.put(path.join(RELEASE_DIR, f), `/root/prepcast-release/${f}`);
      server.put(RELEASE_PEM, "/root/prepcast-release/release.pem");
    }
  });

  afterAll(() => {
    difusor?.remove();
    ople?.remove();
    fs.rmSync(courier, { recursive: true, force: true });
  });

  async function publishCut(k: number): Promise<void> {
    const cut = await generateCut({ outDir: cuts, k, scale: "small", actas: true });
    ople.put(cut.dir, `/var/spool/prepcast/cortes/${path.basename(cut.dir)}`);
    ople.exec(["chown", "-R", "prepcast:prepcast", `/var/spool/prepcast/cortes/${path.basename(cut.dir)}`]);
  }

  function liveSequence(): number | null {
    const r = difusor.sh("curl -fsS http://127.0.0.1/.well-known/prepcast.json", { allowFail: true });
    if (r.code !== 0) return null;
    return (JSON.parse(r.stdout) as { sequence?: number }).sequence ?? null;
  }

  it("each follows its guide up to what it needs from the other: the OPLE its keys, the difusor the installed agent", async () => {
    // the two servers work at the same time, as the OPLE and a difusor would
    // (both run to the end before a failure is reported: a step still running would race the next test)
    const settled = await Promise.allSettled([
      ople.runGuide(OPLE_GUIDE, { sections: ["1.", "2.", "3.", "4."], values: { PREPCAST_VERSION: VERSION } }),
      difusor.runGuide(DIFUSOR_GUIDE, { sections: ["1.", "2.", "3.", "4.", "5."], values: { PREPCAST_VERSION: VERSION } }),
    ]);
    const failed = settled
      .filter((s): s is PromiseRejectedResult => s.status === "rejected")
      .map((s) => String(s.reason instanceof Error ? s.reason.message : s.reason));
    if (failed.length > 0) throw new Error(failed.join("\n\n"));
    // the courier: what the OPLE hands every difusor
    ople.get("/root/ople-keys/root.pub", path.join(courier, "root.pub"));
    ople.get("/root/ople-keys/identity.pub", path.join(courier, "publisher-identity.pub"));
    difusor.put(path.join(courier, "root.pub"), "/root/prepcast-release/root.pub");
    difusor.put(path.join(courier, "publisher-identity.pub"), "/root/prepcast-release/publisher-identity.pub");
  });

  it("the difusor follows the rest of its guide: the agent runs under systemd, ready", async () => {
    await difusor.runGuide(DIFUSOR_GUIDE, {
      sections: ["6.", "7.", "8."],
      values: { PREPCAST_VERSION: VERSION, OPLE_ADDRESSES: "127.0.0.1/32", PREP_ADDRESS: "127.0.0.1:8730", PREP_URL: "http://127.0.0.1/" },
    });
    expect(difusor.exec(["systemctl", "is-active", "prep-receiver"]).stdout.trim()).toBe("active");
    // the courier, the other way: the difusor's registration.yaml (and, for the check below, its certificate)
    difusor.get("/etc/prepcast/keys/registration.yaml", path.join(courier, "uv-xalapa.yaml"));
    difusor.get("/etc/prepcast/keys/tls.crt", path.join(courier, "tls.crt"));
    ople.exec(["mkdir", "-p", "/root/difusores"]);
    ople.put(path.join(courier, "uv-xalapa.yaml"), "/root/difusores/uv-xalapa.yaml");
  });

  it("the OPLE registers the difusor, starts its unit and pushes a cut that goes live", async () => {
    const fp = spawnSync("openssl", ["x509", "-in", path.join(courier, "tls.crt"), "-noout", "-fingerprint", "-sha256"], { encoding: "utf8" })
      .stdout.replace(/.*=/, "")
      .replace(/:/g, "")
      .trim()
      .toLowerCase();
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    // what the OPLE pins is the certificate the difusor serves, with no fingerprint copied by hand
    expect(fs.readFileSync(path.join(courier, "uv-xalapa.yaml"), "utf8")).toContain(`tlsFingerprint: ${fp}`);
    await publishCut(1);
    await ople.runGuide(OPLE_GUIDE, {
      sections: ["5.", "6.", "7.", "8."],
      values: { CUT: "/var/spool/prepcast/cortes/cut-0001" },
    });
    expect(liveSequence()).toBe(1);
    const v = difusor.sh("prep-receiver verify-site http://127.0.0.1/ --trust /etc/prepcast/root.pub", { allowFail: true });
    expect({ code: v.code, out: v.stdout + v.stderr }).toMatchObject({ code: 0 });
  });

  /** What the two units look like, for a failure message. */
  function diagnose(): string {
    const one = (host: Server, unit: string) =>
      host.sh(
        `systemctl show -p ActiveState -p SubState -p NRestarts -p ExecMainStatus ${unit} | tr '\\n' ' '; journalctl -u ${unit} -n 12 --no-pager -o cat | cut -c1-300`,
        { allowFail: true },
      ).stdout;
    return `${one(difusor, "prep-receiver")}\n${one(ople, "prep-publisher")}`;
  }

  it("a unit killed with SIGKILL mid-transfer is restarted by systemd and converges, three times each", async () => {
    const push = (k: number) =>
      podmanAsync(
        [
          "exec",
          ople.name,
          "sudo",
          "-u",
          "prepcast",
          "prep-publisher",
          "push",
          `/var/spool/prepcast/cortes/cut-${String(k).padStart(4, "0")}`,
          "--config",
          "/etc/prepcast/publisher.yaml",
          "--timeout",
          "300",
          "--json",
        ],
        400_000,
      );
    for (let i = 0; i < 6; i++) {
      const k = i + 2;
      const unit = i % 2 === 0 ? "prep-receiver" : "prep-publisher";
      const host = unit === "prep-receiver" ? difusor : ople;
      await publishCut(k);
      const restartsBefore = Number(host.exec(["systemctl", "show", "-p", "NRestarts", "--value", unit]).stdout.trim());
      // the push runs in the OPLE's server while the unit is killed
      const pushing = push(k);
      await waitFor(
        "the transfer to start",
        () =>
          difusor.sh(`grep -q '"sequence":${k},' /var/lib/prepcast/partial/partial.json 2>/dev/null`, { allowFail: true }).code === 0 || liveSequence() === k,
        120_000,
        50,
      ).catch(() => undefined);
      host.exec(["systemctl", "kill", "--signal", "SIGKILL", unit]);
      await waitFor(
        `${unit} restarted by systemd`,
        () =>
          Number(host.exec(["systemctl", "show", "-p", "NRestarts", "--value", unit]).stdout.trim()) > restartsBefore &&
          host.exec(["systemctl", "is-active", unit], { allowFail: true }).stdout.trim() === "active",
        120_000,
        250,
      );
      const result = await pushing;
      const live = await waitFor(`cut ${k} live`, () => liveSequence() === k, 30_000, 250).then(
        () => true,
        () => false,
      );
      const seen = {
        kill: i + 1,
        unit,
        push: { code: result.code, out: (result.stdout + result.stderr).slice(-1500) },
        live: liveSequence(),
        units: diagnose(),
      };
      if (!live) {
        // a push cut short by the publisher's own death is the operator's to repeat
        expect({ ...seen, unit }).toMatchObject({ unit: "prep-publisher" });
        expect((await push(k)).code).toBe(0);
      } else if (unit === "prep-receiver") expect({ ...seen, pushCode: result.code }).toMatchObject({ pushCode: 0 });
      await waitFor(`cut ${k} live`, () => liveSequence() === k, 180_000, 500);
    }
    expect(difusor.exec(["sudo", "-u", "prepcast", "prep-receiver", "audit", "verify", "--root", "/var/lib/prepcast"], { allowFail: true }).code).toBe(0);
    expect(
      ople.exec(["sudo", "-u", "prepcast", "prep-publisher", "audit", "verify", "--log", "/var/lib/prepcast-publisher/audit.log"], { allowFail: true }).code,
    ).toBe(0);
  });

  it("an invalid config ends in exit 78 and systemd does not restart it in a loop", async () => {
    difusor.sh("cp /etc/prepcast/receiver.yaml /root/receiver.yaml.good && sed -i 's/^retain: 3/retain: -1/' /etc/prepcast/receiver.yaml");
    const restart = difusor.exec(["systemctl", "restart", "prep-receiver"], { allowFail: true, timeoutMs: 150_000 });
    expect(restart.code).not.toBe(0);
    const show = () => difusor.exec(["systemctl", "show", "-p", "ExecMainStatus", "-p", "ActiveState", "-p", "NRestarts", "prep-receiver"]).stdout;
    const first = show();
    expect({ first, diagnose: diagnose() }).toMatchObject({ first: expect.stringContaining("ExecMainStatus=78") });
    expect(first).toContain("ActiveState=failed");
    await new Promise((r) => setTimeout(r, 5000)); // RestartSec=2: a loop would have restarted twice by now
    expect(show()).toBe(first);
    const journal = difusor.sh("journalctl -u prep-receiver -n 30 --no-pager -o cat").stdout;
    expect(journal).toContain("retain");
    difusor.sh("cp /root/receiver.yaml.good /etc/prepcast/receiver.yaml && systemctl restart prep-receiver");
    expect(difusor.exec(["systemctl", "is-active", "prep-receiver"]).stdout.trim()).toBe("active");
  });
});
