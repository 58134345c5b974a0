// infra/docker/compose.yaml: validated by `docker compose config` when a compose implementation is
// installed (it needs no engine), and always checked structurally: health checks, non-root users,
// volumes, Dockerfiles, ports, start order, and the demo's key/config wiring (demo-init.sh).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { envOf, finalStage, last, parseDockerfile } from "./helpers/dockerfile";
import { readRepoFile, repoPath, repoRoot, run, toolWorks, which } from "./helpers/repo";

const composeDir = repoPath("infra", "docker");
const composeFile = path.join(composeDir, "compose.yaml");

type Service = {
  image?: string;
  build?: { context: string; dockerfile: string };
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  restart?: string;
  command?: string[];
  entrypoint?: string[];
  volumes?: string[];
  ports?: string[];
  network_mode?: string;
  networks?: Record<string, { ipv4_address?: string } | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean; interval?: string; timeout?: string; retries?: number; start_period?: string };
};
type Compose = { services: Record<string, Service>; volumes: Record<string, unknown>; networks: Record<string, { ipam?: { config: { subnet: string }[] } }> };

const compose = parse(fs.readFileSync(composeFile, "utf8"), { merge: true }) as Compose;
const services = Object.entries(compose.services);
const longRunning = services.filter(([, s]) => s.restart !== "no");
const oneShots = services.filter(([, s]) => s.restart === "no");

/** A compose implementation that validates without an engine: the v2 plugin or the v1 binary. */
function composeCommand(): string[] | undefined {
  if (toolWorks("docker", ["compose", "version"])) return ["docker", "compose"];
  if (which("docker-compose") && toolWorks("docker-compose", ["version"])) return ["docker-compose"];
  return undefined;
}
const composeCli = composeCommand();

describe("compose.yaml validated by the compose CLI", () => {
  const itWithCli = composeCli ? it : it.skip;
  const skipNote = composeCli ? "" : " (skipped: neither `docker compose` nor `docker-compose` is installed; the structural checks below still run)";

  itWithCli(`passes \`config -q\`${skipNote}`, () => {
    const [command, ...args] = composeCli!;
    const result = run(command, [...args, "-f", composeFile, "config", "-q"], { cwd: composeDir });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  itWithCli(`rejects a broken copy: the validator really validates${skipNote}`, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-compose-"));
    try {
      const broken = fs.readFileSync(composeFile, "utf8").replace("condition: service_healthy", "condition: when_it_feels_like_it");
      fs.writeFileSync(path.join(dir, "compose.yaml"), broken);
      fs.copyFileSync(path.join(composeDir, "demo-init.sh"), path.join(dir, "demo-init.sh"));
      const [command, ...args] = composeCli!;
      const result = run(command, [...args, "-f", path.join(dir, "compose.yaml"), "config", "-q"], { cwd: dir });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/condition|when_it_feels_like_it/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("compose.yaml structure", () => {
  it("has the demo's services: an init one-shot, a publisher and two receivers", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["init", "publisher", "receiver-a", "receiver-b"]);
    expect(oneShots.map(([name]) => name)).toEqual(["init"]);
  });

  it("gives every long-running service a health check and marks the one-shot's as disabled", () => {
    for (const [name, service] of longRunning) {
      expect([name, service.healthcheck?.test?.[0]]).toEqual([name, "CMD"]);
      expect(service.healthcheck).toMatchObject({ interval: "15s", timeout: "5s", retries: 3 });
    }
    for (const [name, service] of oneShots) expect([name, service.healthcheck]).toEqual([name, { disable: true }]);
  });

  it("uses the images' own health check command against each service's admin port", () => {
    for (const [name, service] of longRunning) {
      const dockerfile = parseDockerfile(readRepoFile(service.build!.dockerfile));
      const runtime = finalStage(dockerfile);
      const imageCheck = last(runtime, "HEALTHCHECK")!.exec!;
      const url = envOf(runtime).PREPCAST_HEALTH_URL;
      const composeCheck = service.healthcheck!.test!.slice(1);
      // identical to the image's, with the URL written out instead of read from the environment
      expect([name, composeCheck]).toEqual([name, imageCheck.map((part) => part.replace("process.env.PREPCAST_HEALTH_URL", `'${url}'`))]);
    }
  });

  it("runs every service as the non-root uid 10001, read-only, without capabilities", () => {
    for (const [name, service] of services) {
      expect([name, service.user]).toEqual([name, "10001:10001"]);
      expect([name, service.read_only, service.cap_drop, service.security_opt]).toEqual([name, true, ["ALL"], ["no-new-privileges:true"]]);
    }
  });

  it("builds from existing Dockerfiles with the repository root as context", () => {
    for (const [name, service] of services) {
      expect(service.build).toBeDefined();
      expect([name, path.resolve(composeDir, service.build!.context)]).toEqual([name, repoRoot]);
      expect([name, fs.existsSync(path.join(repoRoot, service.build!.dockerfile))]).toEqual([name, true]);
      const app = /infra\/docker\/(receiver|publisher)\.Dockerfile$/.exec(service.build!.dockerfile)?.[1];
      expect([name, service.image]).toEqual([name, `prepcast/${app}:dev`]);
    }
  });

  it("declares every named volume, finds every bind mount, and mounts keys read-only outside init", () => {
    for (const [name, service] of services) {
      for (const volume of service.volumes ?? []) {
        const [source, target, mode] = volume.split(":");
        expect(target.startsWith("/")).toBe(true);
        if (source.startsWith(".") || source.startsWith("/")) {
          expect([volume, fs.existsSync(path.resolve(composeDir, source))]).toEqual([volume, true]);
        } else {
          expect(Object.keys(compose.volumes)).toContain(source);
        }
        if (target === "/etc/prepcast") expect([name, mode]).toEqual([name, name === "init" ? undefined : "ro"]);
      }
    }
    for (const [name, service] of longRunning) {
      const targets = (service.volumes ?? []).map((v) => v.split(":")[1]);
      expect([name, targets.includes("/var/lib/prepcast") || targets.includes("/var/lib/prepcast-publisher")]).toEqual([name, true]);
      expect([name, targets.includes("/var/log/prepcast")]).toEqual([name, true]);
    }
    const used = new Set(services.flatMap(([, s]) => (s.volumes ?? []).map((v) => v.split(":")[0])));
    for (const declared of Object.keys(compose.volumes)) expect([declared, used.has(declared)]).toEqual([declared, true]);
  });

  it("publishes only container ports the image exposes, on the host's loopback", () => {
    for (const [name, service] of services) {
      const exposed = finalStage(parseDockerfile(readRepoFile(service.build!.dockerfile)))
        .instructions.filter((i) => i.keyword === "EXPOSE")
        .flatMap((i) => i.args.split(/\s+/));
      for (const port of service.ports ?? []) {
        const [hostIp, hostPort, containerPort] = port.split(":");
        expect([name, hostIp]).toEqual([name, "127.0.0.1"]);
        expect(Number(hostPort)).toBeGreaterThan(0);
        expect(exposed).toContain(containerPort);
      }
    }
  });

  it("starts in order: init completes, receivers are healthy, then the publisher", () => {
    for (const [name, service] of services) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(Object.keys(compose.services)).toContain(dependency);
        const expected = compose.services[dependency].restart === "no" ? "service_completed_successfully" : "service_healthy";
        expect([name, dependency, condition]).toEqual([name, dependency, expected]);
      }
    }
    expect(Object.keys(compose.services.publisher.depends_on ?? {}).sort()).toEqual(["init", "receiver-a", "receiver-b"]);
    for (const name of ["receiver-a", "receiver-b"]) expect(Object.keys(compose.services[name].depends_on ?? {})).toEqual(["init"]);
  });
});

describe("demo key and config wiring (demo-init.sh)", () => {
  const script = readRepoFile("infra", "docker", "demo-init.sh");

  it("is valid POSIX sh (and passes shellcheck when installed)", () => {
    const syntax = run("sh", ["-n", repoPath("infra", "docker", "demo-init.sh")]);
    expect(syntax.stderr).toBe("");
    expect(syntax.status).toBe(0);
    if (which("shellcheck")) {
      const lint = run("shellcheck", ["-s", "sh", repoPath("infra", "docker", "demo-init.sh")]);
      expect(lint.stdout).toBe("");
    }
  });

  it("allows exactly the publisher's fixed address on the receivers' push port", () => {
    const publisherAddress = compose.services.publisher.networks?.prepcast?.ipv4_address;
    expect(script).toContain(`PUBLISHER_ADDRESS=${publisherAddress}`);
    const subnet = compose.networks.prepcast.ipam!.config[0].subnet; // 172.28.0.0/24
    const prefix = subnet.split(".").slice(0, 3).join(".") + ".";
    for (const [, service] of longRunning) expect(service.networks?.prepcast?.ipv4_address?.startsWith(prefix)).toBe(true);
  });

  it("writes the config files the services' commands point at", () => {
    const receivers = /RECEIVERS="([^"]+)"/
      .exec(script)![1]
      .split(" ")
      .map((e) => e.split(":"));
    for (const [id, serviceName] of receivers) {
      expect(compose.services[serviceName].command).toEqual(["run", "--config", `/etc/prepcast/${id}/receiver.yaml`]);
    }
    expect(compose.services.publisher.command).toEqual(["run", "--config", "/etc/prepcast/publisher/publisher.yaml"]);
  });
});
