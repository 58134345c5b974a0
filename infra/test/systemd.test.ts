// infra/systemd units: `systemd-analyze verify` (and its offline security score) when systemd is
// installed, always a strict directive-by-directive check, the hardening we promise in the docs,
// and that ExecStart and the environment files point at things that exist.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseUnit, valueOf, valuesOf, type UnitEntry } from "./helpers/systemd-unit";
import { readRepoFile, repoPath, repoRoot, run, which } from "./helpers/repo";

interface UnitSpec {
  app: "receiver" | "publisher";
  stateDirectory: string;
  readWritePaths: string;
  capabilities: string;
}
const units: UnitSpec[] = [
  { app: "receiver", stateDirectory: "prepcast", readWritePaths: "/var/lib/prepcast /var/log/prepcast", capabilities: "CAP_NET_BIND_SERVICE" },
  {
    app: "publisher",
    stateDirectory: "prepcast-publisher",
    readWritePaths: "/var/lib/prepcast-publisher /var/log/prepcast /var/spool/prepcast",
    capabilities: "",
  },
];

/** The bin `npm install -g` of the release tarball puts on systemd's fixed search path. */
const binOf = (app: string) => `prep-${app}`;

function unitFile(app: string): string {
  return repoPath("infra", "systemd", `prep-${app}.service`);
}

/** The unit with its commands mapped onto this checkout and this node, so ExecStart exists here. */
function localizedUnit(app: string): string {
  return fs
    .readFileSync(unitFile(app), "utf8")
    .replace(
      /^(ExecStart(?:Post)?=)prep-(\w+) /gm,
      (_m, key: string, name: string) => `${key}${process.execPath} ${repoRoot}/apps/${name}/bin/prep-${name}.js `,
    );
}

const systemdAnalyze = which("systemd-analyze");
const itWithSystemd = systemdAnalyze ? it : it.skip;
const skipNote = systemdAnalyze
  ? ""
  : " (skipped: systemd-analyze is not installed; `apt-get install systemd` provides it. The strict parser checks still run)";

function analyze(args: string[], unitText: string, name: string): ReturnType<typeof run> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-unit-"));
  try {
    const file = path.join(dir, name);
    fs.writeFileSync(file, unitText);
    return run(systemdAnalyze!, [...args, file], { cwd: dir });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("unit file parser", () => {
  const minimal = "[Unit]\nDescription=x\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n";

  it("accepts a minimal unit and reads values", () => {
    expect(valueOf(parseUnit(minimal), "Service", "ExecStart")).toBe("/bin/true");
  });

  it.each([
    [minimal.replace("ExecStart", "ExecStrat"), /unknown key ExecStrat in \[Service\]/],
    [minimal.replace("[Install]", "[Instal]"), /unknown section \[Instal\]/],
    [minimal + "[Service]\nUser=a\nUser=b\n", /User set twice/],
    [minimal.replace("ExecStart=/bin/true", "ExecStart=/bin/true\nPrivateTmp=maybe"), /PrivateTmp=maybe is not a boolean/],
    [minimal.replace("Description=x", "Description x"), /expected Key=value/],
  ])("rejects a broken unit (%#)", (text, error) => {
    expect(() => parseUnit(text, "broken.service")).toThrow(error);
  });
});

describe.each(units)("prep-$app.service", (spec) => {
  const text = readRepoFile("infra", "systemd", `prep-${spec.app}.service`);
  let entries: UnitEntry[] = [];

  it("uses only known directives, each in its section", () => {
    entries = parseUnit(text, `prep-${spec.app}.service`);
    expect(entries.length).toBeGreaterThan(30);
  });

  it("runs the installed app's bin as the prepcast user with the documented config path, and waits until it is ready", () => {
    entries = parseUnit(text);
    expect(valueOf(entries, "Service", "ExecStart")!.split(" ")).toEqual([binOf(spec.app), "run", "--config", `/etc/prepcast/${spec.app}.yaml`]);
    expect(valuesOf(entries, "Service", "ExecStartPost")).toEqual([`${binOf(spec.app)} wait-ready --config /etc/prepcast/${spec.app}.yaml --timeout 80`]);
    expect(JSON.parse(fs.readFileSync(repoPath("apps", spec.app, "package.json"), "utf8")).bin).toEqual({ [binOf(spec.app)]: `bin/prep-${spec.app}.js` });
    expect([valueOf(entries, "Service", "User"), valueOf(entries, "Service", "Group")]).toEqual(["prepcast", "prepcast"]);
  });

  it("is hardened as docs/operations/install-ubuntu-systemd.md promises", () => {
    entries = parseUnit(text);
    const expected: Record<string, string> = {
      Type: "exec",
      NoNewPrivileges: "yes",
      ProtectSystem: "strict",
      ReadWritePaths: spec.readWritePaths,
      ProtectHome: "yes",
      PrivateTmp: "yes",
      PrivateDevices: "yes",
      ProtectKernelTunables: "yes",
      ProtectKernelModules: "yes",
      ProtectControlGroups: "yes",
      RestrictAddressFamilies: "AF_INET AF_INET6 AF_UNIX",
      RestrictNamespaces: "yes",
      LockPersonality: "yes",
      MemoryDenyWriteExecute: "no", // V8's JIT needs W+X pages
      CapabilityBoundingSet: spec.capabilities,
      AmbientCapabilities: spec.capabilities,
      Restart: "on-failure",
      RestartSec: "2",
      RestartPreventExitStatus: "78",
      LimitNOFILE: "65536",
      StateDirectory: spec.stateDirectory,
      LogsDirectory: "prepcast",
      EnvironmentFile: `-/etc/prepcast/prep-${spec.app}.env`,
    };
    const actual = Object.fromEntries(Object.keys(expected).map((key) => [key, valueOf(entries, "Service", key)]));
    expect(actual).toEqual(expected);
    expect(valuesOf(entries, "Service", "SystemCallFilter")).toEqual(["@system-service", "~@privileged"]);
    expect(valueOf(entries, "Unit", "After")).toContain("time-sync.target");
    if (spec.app === "receiver") {
      // the memory tuning the receiver's peak figure is measured with (docs/benchmarks.md)
      expect(valuesOf(entries, "Service", "Environment")).toEqual(["MALLOC_ARENA_MAX=2 NODE_OPTIONS=--max-semi-space-size=4"]);
    } else {
      expect(valuesOf(entries, "Service", "Environment")).toEqual(["MALLOC_ARENA_MAX=2"]);
    }
    expect(valueOf(entries, "Install", "WantedBy")).toBe("multi-user.target");
  });

  it("ships its example environment file, using only documented variables", () => {
    const envFile = repoPath("infra", "systemd", `prep-${spec.app}.env`);
    const variables = fs
      .readFileSync(envFile, "utf8")
      .split("\n")
      .map((line) => /^#?([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined);
    expect(variables).toContain("NODE_ENV");
    const documented = readRepoFile("docs", "operations", "configuration.md");
    for (const name of variables.filter((v) => v.startsWith("PREPCAST_"))) expect([name, documented.includes(`\`${name}\``)]).toEqual([name, true]);
  });

  itWithSystemd(`passes \`systemd-analyze verify\` without a single warning${skipNote}`, () => {
    const result = analyze(["verify"], localizedUnit(spec.app), `prep-${spec.app}.service`);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  itWithSystemd(`and \`systemd-analyze verify\` does flag a typo in a copy (the check can fail)${skipNote}`, () => {
    const result = analyze(["verify"], localizedUnit(spec.app).replace("PrivateTmp=yes", "PrivateTemp=yes"), `prep-${spec.app}.service`);
    expect(result.stderr).toMatch(/Unknown key (name )?'PrivateTemp'/);
  });

  itWithSystemd(`scores "OK" (exposure at most 2.0) in \`systemd-analyze security --offline\`${skipNote}`, () => {
    const result = analyze(["security", "--offline=true", "--no-pager"], localizedUnit(spec.app), `prep-${spec.app}.service`);
    if (/unrecognized option|unknown option/i.test(result.stderr)) {
      // systemd < 250 (Ubuntu 22.04 ships 249) cannot score a unit file offline
      return;
    }
    const score = /Overall exposure level for \S+: ([\d.]+)/.exec(result.stdout + result.stderr);
    expect(score).not.toBeNull();
    expect(Number(score![1])).toBeLessThanOrEqual(2.0);
  });
});
