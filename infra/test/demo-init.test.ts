// infra/docker/demo-init.sh run for real in a temporary directory: it must produce configs that
// parse, point at the keys it was given, and pin each receiver's real TLS certificate (checked
// against node's own X509 fingerprint). The CLIs' `init` commands are used when they support
// `init --dir`; until then, minimal stand-ins write the files `init` is specified to write
// (docs/architecture.md: identity key, self-signed TLS certificate; issue 2: root key, signing
// key, keyset) so the script's own logic is still exercised.
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { repoPath, run, which } from "./helpers/repo";

const script = repoPath("infra", "docker", "demo-init.sh");
const openssl = which("openssl");

function cliSupportsInitDir(app: "receiver" | "publisher"): boolean {
  const bin = repoPath("apps", app, "bin", `prep-${app}.js`);
  if (!fs.existsSync(repoPath("apps", app, "dist", "cli", "main.js"))) return false;
  const help = run(process.execPath, [bin, "init", "--help"]);
  return help.status === 0 && help.stdout.includes("--dir");
}
const realInit = cliSupportsInitDir("receiver") && cliSupportsInitDir("publisher");

function writeExecutable(file: string, text: string): void {
  fs.writeFileSync(file, text, { mode: 0o755 });
}

/** A bin directory with prep-publisher / prep-receiver: the real CLIs or the stand-ins. */
function makeBin(dir: string, options: { omit?: string } = {}): string {
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  if (realInit && !options.omit) {
    for (const app of ["receiver", "publisher"]) {
      writeExecutable(path.join(bin, `prep-${app}`), `#!/bin/sh\nexec "${process.execPath}" "${repoPath("apps", app, "bin", `prep-${app}.js`)}" "$@"\n`);
    }
    return bin;
  }
  const write = (names: string[]) =>
    names
      .filter((n) => n !== options.omit)
      .map((n) => `echo "stand-in ${n}" > "$2/${n}"`)
      .join("\n");
  writeExecutable(
    path.join(bin, "prep-publisher"),
    `#!/bin/sh\nset -eu\n[ "$1" = init ] && [ "$2" = --dir ] || exit 64\nshift\nmkdir -p "$2"\n${write(["root.key", "root.pub", "signing.key", "keyset.json", "keyset.sig", "identity.key", "identity.pub"])}\n`,
  );
  writeExecutable(
    path.join(bin, "prep-receiver"),
    `#!/bin/sh\nset -eu\n[ "$1" = init ] && [ "$2" = --dir ] || exit 64\nshift\nmkdir -p "$2"\n${write(["identity.key", "identity.pub"])}\n` +
      `"${openssl}" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=prepcast-receiver" -keyout "$2/tls.key" -out "$2/tls.crt" 2>/dev/null\n`,
  );
  return bin;
}

function runInit(keys: string, bin: string) {
  return run("sh", [script], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, PREPCAST_DEMO_KEYS: keys }, timeoutMs: 30_000 });
}

const itWithOpenssl = openssl ? it : it.skip;
const note = openssl
  ? realInit
    ? " (real CLIs' init)"
    : " (stand-in init: the CLIs do not support `init --dir` yet)"
  : " (skipped: openssl is not installed)";

describe("demo-init.sh", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-demo-init-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  itWithOpenssl(`writes parseable, cross-referenced configs and pins the real certificates${note}`, () => {
    const keys = path.join(dir, "keys");
    const result = runInit(keys, makeBin(dir));
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: "" });

    const publisher = parse(fs.readFileSync(path.join(keys, "publisher", "publisher.yaml"), "utf8")) as Record<string, any>;
    expect(publisher).toMatchObject({ id: "ople-demo", process: "DEMO-2024", channel: "simulacro", keys: path.join(keys, "publisher") });
    expect(publisher.receivers.map((r: { id: string }) => r.id)).toEqual(["demo-a", "demo-b"]);

    for (const receiverEntry of publisher.receivers as Record<string, string>[]) {
      const id = receiverEntry.id;
      const receiver = parse(fs.readFileSync(path.join(keys, id, "receiver.yaml"), "utf8")) as Record<string, any>;
      expect(receiver).toMatchObject({
        id,
        root: "/var/lib/prepcast",
        trust: { rootPublicKey: path.join(keys, "publisher", "root.pub"), process: publisher.process, channels: [publisher.channel] },
        identity: { secretKey: path.join(keys, id, "identity.key") },
        publisher: { id: publisher.id, identityPublicKey: path.join(keys, "publisher", "identity.pub") },
        push: { listen: "0.0.0.0:8730", allowlist: ["172.28.0.10/32"] },
        admin: { listen: "127.0.0.1:8731" },
      });
      for (const file of [
        receiver.trust.rootPublicKey,
        receiver.identity.secretKey,
        receiver.push.tls.cert,
        receiver.push.tls.key,
        receiverEntry.identityPublicKey,
        receiverEntry.logo,
      ]) {
        expect([file, fs.existsSync(file)]).toEqual([file, true]);
      }
      const certificate = new X509Certificate(fs.readFileSync(receiver.push.tls.cert));
      expect(receiverEntry.tlsFingerprint).toBe(certificate.fingerprint256.replaceAll(":", "").toLowerCase());
      expect(receiverEntry.tlsFingerprint).toMatch(/^[0-9a-f]{64}$/);
    }

    // secret keys and the configs are readable by their owner only (public keys may be 0644)
    const files = fs
      .readdirSync(keys, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name));
    const secrets = files.filter((f) => f.endsWith(".key") || f.endsWith(".yaml"));
    expect(secrets.length).toBeGreaterThanOrEqual(9);
    expect(secrets.filter((f) => (fs.statSync(f).mode & 0o077) !== 0)).toEqual([]);
  });

  itWithOpenssl(`is idempotent: a second run changes nothing${note}`, () => {
    const keys = path.join(dir, "keys");
    const bin = makeBin(dir);
    expect(runInit(keys, bin).status).toBe(0);
    const before = fs.readFileSync(path.join(keys, "publisher", "publisher.yaml"), "utf8");
    const again = runInit(keys, bin);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain("already in");
    expect(fs.readFileSync(path.join(keys, "publisher", "publisher.yaml"), "utf8")).toBe(before);
  });

  itWithOpenssl(`stops with a clear error naming the file when init did not write it${openssl ? "" : note}`, () => {
    const keys = path.join(dir, "keys");
    const result = runInit(keys, makeBin(dir, { omit: "identity.pub" }));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${path.join(keys, "publisher", "identity.pub")} is missing after init`);
    expect(result.stderr).toContain("update the expected names in infra/docker/demo-init.sh");
    expect(fs.existsSync(path.join(keys, ".demo-initialized"))).toBe(false);
  });
});
