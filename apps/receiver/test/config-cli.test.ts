// `prep-receiver run --config FILE` as systemd runs it: the built CLI in a real process. Every
// configuration problem exits 78 (EX_CONFIG: RestartPreventExitStatus=78 stops the restart loop)
// with a message naming the file and the field, every problem of a file at once; a port held by
// another process is not a configuration problem: exit 1 (systemd retries), naming the address
// and the field. Needs `npm run build` first.
import { spawn } from "node:child_process";
import { X509Certificate, createHash } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { loadReceiverConfig } from "../src/agent/config";

const REPO = path.resolve(__dirname, "../../..");
const RECEIVER = path.join(REPO, "apps/receiver/bin/prep-receiver.js");
const PUBLISHER = path.join(REPO, "apps/publisher/bin/prep-publisher.js");

jest.setTimeout(120_000);

const AS_ROOT = process.getuid?.() === 0;
/** Root reads every file: the permission cases run the CLI as nobody (65534) then. */
const OTHER_USER = { uid: 65534, gid: 65534 };

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(bin: string, args: string[], opts: { asOther?: boolean; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const asOther = opts.asOther && AS_ROOT;
    const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"], cwd: os.tmpdir(), ...(asOther ? OTHER_USER : {}) });
    child.on("error", (e) =>
      reject(
        new Error(
          asOther
            ? `cannot start ${process.execPath} as uid ${OTHER_USER.uid} (${e.message}): the permission cases need a Node.js and a checkout that uid can read, e.g. not under /root`
            : `cannot start ${process.execPath}: ${e.message}`,
        ),
      ),
    );
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 30_000);
    child.on("exit", (status) => {
      clearTimeout(t);
      resolve({ status, stdout, stderr });
    });
  });
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-config-cli-"));
fs.chmodSync(work, 0o755);
let base: string; // a valid receiver.yaml
let n = 0;

beforeAll(async () => {
  for (const bin of [RECEIVER, PUBLISHER]) {
    const dist = path.join(path.dirname(bin), "..", "dist", "cli", "main.js");
    if (!fs.existsSync(dist)) throw new Error(`${dist} is missing: run \`npm run build\` at the repository root first`);
  }
  const keys = path.join(work, "ople");
  expect((await run(PUBLISHER, ["init", "--dir", keys, "--json"])).status).toBe(0);
  const dir = path.join(work, "difusor");
  expect((await run(RECEIVER, ["init", "--dir", dir, "--id", "uv-xalapa", "--json"])).status).toBe(0);
  fs.copyFileSync(path.join(keys, "root.pub"), path.join(dir, "root.pub"));
  fs.copyFileSync(path.join(keys, "identity.pub"), path.join(dir, "publisher-identity.pub"));
  const yaml = fs.readFileSync(path.join(dir, "receiver.yaml"), "utf8").replace("workers: 0", "workers: 1");
  base = listen(listen(listen(yaml, "push", "127.0.0.1:0"), "site", "127.0.0.1:0"), "admin", "127.0.0.1:0");
  fs.writeFileSync(path.join(dir, "receiver.yaml"), base);
  loadReceiverConfig(path.join(dir, "receiver.yaml"), {}); // the base itself is valid
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Sets `<section>.listen` (push, site, admin) in a receiver.yaml written by init. */
const listen = (yaml: string, section: string, value: string) => yaml.replace(new RegExp(`(\\n${section}:\\n  listen: )\\S+`), `$1${value}`);

/** A copy of the difusor directory with `edit` applied to its config; returns the config path. */
function variant(edit: (yaml: string, dir: string) => string): string {
  const dir = path.join(work, `case-${++n}`);
  fs.cpSync(path.join(work, "difusor"), dir, { recursive: true });
  fs.chmodSync(dir, 0o755);
  const file = path.join(dir, "receiver.yaml");
  fs.writeFileSync(file, edit(base, dir));
  return file;
}

async function expectConfigError(file: string, fields: string[], opts: { asOther?: boolean; names?: string[] } = {}): Promise<string> {
  const r = await run(RECEIVER, ["run", "--config", file], opts);
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 78, stderr: expect.stringContaining("error [CONFIG_INVALID]") });
  expect(r.stderr).toContain(file);
  for (const f of fields) expect(r.stderr).toContain(`- ${f}: `);
  for (const s of opts.names ?? []) expect(r.stderr).toContain(s);
  return r.stderr;
}

describe("prep-receiver run exits 78 on every configuration problem, naming the file and the field", () => {
  test("missing config file", async () => {
    const file = path.join(work, "nope.yaml");
    const r = await run(RECEIVER, ["run", "--config", file]);
    expect(r.status).toBe(78);
    expect(r.stderr).toContain(`config file ${file} does not exist`);
  });

  test("config file the service user cannot read: the hint gives the chgrp/chmod for that user, not --config", async () => {
    const file = variant((y) => y);
    fs.chmodSync(file, AS_ROOT ? 0o640 : 0o000); // root:root 0640, as `sudo init` used to write it
    const r = await run(RECEIVER, ["run", "--config", file], { asOther: true });
    expect(r.status).toBe(78);
    const user = AS_ROOT ? "nobody" : os.userInfo().username;
    expect(r.stderr).toContain(`cannot read config file ${file}: user ${user}`);
    expect(r.stderr).toMatch(new RegExp(`hint: run \`sudo chgrp \\S+ ${file} && sudo chmod 0640 ${file}\``));
    expect(r.stderr).not.toContain("--config");
  });

  test("YAML syntax error: file and line", async () => {
    const file = variant((y) => y.replace("retain: 3", "retain: [3"));
    const r = await run(RECEIVER, ["run", "--config", file]);
    expect(r.status).toBe(78);
    expect(r.stderr).toMatch(new RegExp(`${file}:\\d+:\\d+ is not valid YAML`));
  });

  test("schema violations", async () => {
    const file = variant((y) => y.replace("id: uv-xalapa", "id: UV Xalapa").replace("retain: 3", "retain: -1\nfavorite: blue"));
    await expectConfigError(file, ["id", "retain", "(top level)"]);
  });

  test("referenced files: missing, malformed, wrong mode, a key that is not the certificate's", async () => {
    const file = variant((y, dir) => {
      fs.rmSync(path.join(dir, "identity.key"));
      fs.writeFileSync(path.join(dir, "root.pub"), "not a key");
      fs.chmodSync(path.join(dir, "tls.key"), 0o644);
      fs.writeFileSync(path.join(dir, "other.crt"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
      return y.replace("cert: ./tls.crt", "cert: ./other.crt");
    });
    const dir = path.dirname(file);
    await expectConfigError(file, ["identity.secretKey", "trust.rootPublicKey", "push.tls.key", "push.tls.cert"], {
      names: [
        `${dir}/identity.key does not exist`,
        `${dir}/root.pub`,
        `${dir}/tls.key is a secret but has mode 0644`,
        "sudo chmod 0600",
        `${dir}/other.crt is not a PEM X.509 certificate`,
      ],
    });
    // the certificate of another init, with this init's key
    const other = path.join(work, "other-init");
    expect((await run(RECEIVER, ["init", "--dir", other, "--id", "other", "--json"])).status).toBe(0);
    const mismatch = variant((y, d) => {
      fs.copyFileSync(path.join(other, "tls.crt"), path.join(d, "other.crt"));
      return y.replace("cert: ./tls.crt", "cert: ./other.crt");
    });
    await expectConfigError(mismatch, ["push.tls.key"], { names: ["is not the private key of the certificate"] });
  });

  test("a key file the service user cannot read names the user and the chown to run", async () => {
    if (!AS_ROOT) return; // as an ordinary user every file here is the user's own
    const file = variant((y) => y);
    const dir = path.dirname(file);
    for (const f of ["receiver.yaml", "root.pub", "publisher-identity.pub", "tls.crt"]) fs.chmodSync(path.join(dir, f), 0o644);
    const stderr = await expectConfigError(file, ["identity.secretKey", "push.tls.key"], { asOther: true });
    expect(stderr).toContain(
      `user nobody (uid 65534) cannot read ${dir}/tls.key (owner root:root, mode 0600): run \`sudo chown nobody ${dir}/tls.key && sudo chmod 0600 ${dir}/tls.key\``,
    );
  });

  test("invalid listen addresses", async () => {
    const file = variant((y) => listen(listen(y, "push", "127.0.0.1:99999"), "admin", "admin.local:8731"));
    await expectConfigError(file, ["push.listen", "admin.listen"], { names: ["99999", "admin.local"] });
  });

  test("two listeners on one address:port, a wildcard overlapping a specific address", async () => {
    const file = variant((y) => listen(listen(y, "push", "0.0.0.0:18730"), "admin", "127.0.0.1:18730"));
    await expectConfigError(file, ["admin.listen"], { names: ["127.0.0.1:18730 collides with push.listen 0.0.0.0:18730"] });
  });

  test("push.websocket: true without site.tls", async () => {
    const file = variant((y) => y.replace(/websocket: false.*/, "websocket: true"));
    await expectConfigError(file, ["push.websocket"], { names: ["site.tls is not set"] });
  });

  test("every problem of the file at once: schema, files, listeners and combinations in one run", async () => {
    const file = variant((y, dir) => {
      fs.rmSync(path.join(dir, "identity.key"));
      const y2 = y.replace("process: VER-2024", "process: ver").replace(/websocket: false.*/, "websocket: true");
      return listen(listen(y2, "push", "127.0.0.1:8740"), "admin", "127.0.0.1:8740");
    });
    const stderr = await expectConfigError(file, ["trust.process", "identity.secretKey", "push.websocket", "admin.listen"]);
    expect(stderr).toContain("4 problems in");
  });
});

describe("a port held by another process is not a configuration problem", () => {
  test("EADDRINUSE exits 1 (systemd retries), naming the address and the config field", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", () => resolve()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const file = variant((y) => listen(y, "site", `127.0.0.1:${port}`));
      const r = await run(RECEIVER, ["run", "--config", file]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${port} (site.listen in ${file}): EADDRINUSE`);
      expect(r.stderr).toContain(`ss -ltnp 'sport = :${port}'`);
    } finally {
      blocker.close();
    }
  });
});

describe("prep-publisher reads its config the same way", () => {
  test("its admin port held by another process: exit 1, naming admin.listen", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", () => resolve()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const file = path.join(work, "ople", "publisher-busy.yaml");
      fs.writeFileSync(file, fs.readFileSync(path.join(work, "ople", "publisher.yaml"), "utf8").replace("127.0.0.1:8740", `127.0.0.1:${port}`));
      const r = await run(PUBLISHER, ["run", "--config", file]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${port} (admin.listen in ${file}): EADDRINUSE`);
    } finally {
      blocker.close();
    }
  });

  test("run and status exit 78 with every problem of publisher.yaml", async () => {
    const keys = path.join(work, "ople");
    const file = path.join(work, "publisher.yaml");
    fs.writeFileSync(
      file,
      fs
        .readFileSync(path.join(keys, "publisher.yaml"), "utf8")
        .replace("keys: .", "keys: ./nokeys")
        .replace("127.0.0.1:8740", "127.0.0.1:87400")
        .replace("state: ./state", "state: ./identity.key/state"),
    );
    fs.copyFileSync(path.join(keys, "identity.key"), path.join(work, "identity.key"));
    fs.chmodSync(path.join(work, "identity.key"), 0o600);
    for (const cmd of ["run", "status"]) {
      const r = await run(PUBLISHER, [cmd, "--config", file]);
      expect({ cmd, status: r.status }).toEqual({ cmd, status: 78 });
      for (const f of ["keys", "admin.listen", "state"]) expect(r.stderr).toContain(`- ${f}: `);
      expect(r.stderr).toContain(`directory ${work}/nokeys does not exist: run \`prep-publisher init --dir ${work}/nokeys\``);
      expect(r.stderr).toContain(`${work}/identity.key is not a directory`);
    }
  });
});

describe("init's TLS certificate names the receiver in a subjectAltName (pinning stays by fingerprint)", () => {
  test("<id>.prepcast as DNS name, --address's IP, and 127.0.0.1 for --local", async () => {
    const dir = path.join(work, "difusor");
    const x = new X509Certificate(fs.readFileSync(path.join(dir, "tls.crt")));
    expect(x.subject).toBe("CN=uv-xalapa.prepcast");
    expect(x.subjectAltName).toBe("DNS:uv-xalapa.prepcast");
    const reg = fs.readFileSync(path.join(dir, "registration.yaml"), "utf8");
    expect(reg).toContain(createHash("sha256").update(x.raw).digest("hex"));
    const local = path.join(work, "san-local");
    expect((await run(RECEIVER, ["init", "--dir", local, "--id", "uv-local", "--local", "--json"])).status).toBe(0);
    expect(new X509Certificate(fs.readFileSync(path.join(local, "tls.crt"))).subjectAltName).toBe("DNS:uv-local.prepcast, IP Address:127.0.0.1");
    const named = path.join(work, "san-named");
    expect((await run(RECEIVER, ["init", "--dir", named, "--id", "uv-n", "--cn", "push.uv.mx", "--address", "203.0.113.10:8730", "--json"])).status).toBe(0);
    expect(new X509Certificate(fs.readFileSync(path.join(named, "tls.crt"))).subjectAltName).toBe("DNS:push.uv.mx, IP Address:203.0.113.10");
  });
});

describe("init writes what the service user can use", () => {
  const owner = AS_ROOT ? "nobody" : os.userInfo().username;

  test("prep-receiver init --owner USER: config 0644, secret keys 0600 of USER, the directory it created 0750 of USER's group", async () => {
    const dir = path.join(work, "owned", "etc-prepcast");
    fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
    const r = await run(RECEIVER, ["init", "--dir", dir, "--id", "uv-xalapa", "--owner", owner, "--json"]);
    expect(r.status).toBe(0);
    const mode = (f: string) => (fs.statSync(path.join(dir, f)).mode & 0o7777).toString(8);
    expect({ config: mode("receiver.yaml"), identity: mode("identity.key"), tls: mode("tls.key"), dir: mode(".") }).toEqual({
      config: "644",
      identity: "600",
      tls: "600",
      dir: "750",
    });
    const uid = AS_ROOT ? OTHER_USER.uid : process.getuid!();
    expect([fs.statSync(path.join(dir, "identity.key")).uid, fs.statSync(path.join(dir, "tls.key")).uid]).toEqual([uid, uid]);
    fs.copyFileSync(path.join(work, "ople", "root.pub"), path.join(dir, "root.pub"));
    fs.copyFileSync(path.join(work, "ople", "identity.pub"), path.join(dir, "publisher-identity.pub"));
    // run as that user: the only problem left is the state directory the sysadmin must create
    const out = await run(RECEIVER, ["run", "--config", path.join(dir, "receiver.yaml")], { asOther: true });
    if (AS_ROOT) {
      expect(out.status).toBe(78);
      expect(out.stderr).toContain("1 problem in");
      expect(out.stderr).toContain(
        `- root: user nobody (uid 65534) cannot create ${dir}/data: ${dir} is not writable (owner root:nogroup, mode 0750): run \`sudo install -d -o nobody -g nogroup -m 0750 ${dir}/data\``,
      );
    }
  });

  test("prep-publisher init --owner USER: signing.key and identity.key go to USER, root.key stays root's", async () => {
    if (!AS_ROOT) return;
    const dir = path.join(work, "owned", "ople-keys");
    const r = await run(PUBLISHER, ["init", "--dir", dir, "--owner", "nobody", "--json"]);
    expect(r.status).toBe(0);
    expect(["signing.key", "identity.key", "root.key"].map((f) => fs.statSync(path.join(dir, f)).uid)).toEqual([65534, 65534, 0]);
    expect((fs.statSync(path.join(dir, "publisher.yaml")).mode & 0o777).toString(8)).toBe("644");
  });

  test("init as root without --owner says who owns the secrets and what to run", async () => {
    if (!AS_ROOT) return;
    const r = await run(RECEIVER, ["init", "--dir", path.join(work, "owned", "no-owner"), "--id", "uv"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("run init with --owner USER");
  });
});
