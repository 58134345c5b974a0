// Lint-like checks of infra/docker/*.Dockerfile that need no Docker engine: structure, the
// non-root runtime, health checks, and that every path the images use exists in the repository.
import * as fs from "node:fs";
import * as path from "node:path";
import { all, dockerignoreMatcher, envOf, finalStage, last, parseDockerfile, type Dockerfile } from "./helpers/dockerfile";
import { readRepoFile, repoPath, repoRoot } from "./helpers/repo";

interface ImageSpec {
  file: string;
  app: "receiver" | "publisher";
  ports: string[];
  adminPort: number;
  volumes: string[];
}

const images: ImageSpec[] = [
  {
    file: "infra/docker/receiver.Dockerfile",
    app: "receiver",
    ports: ["8730", "80", "443"],
    adminPort: 8731,
    volumes: ["/etc/prepcast", "/var/lib/prepcast", "/var/log/prepcast"],
  },
  {
    file: "infra/docker/publisher.Dockerfile",
    app: "publisher",
    ports: ["8740"],
    adminPort: 8740,
    volumes: ["/etc/prepcast", "/var/lib/prepcast-publisher", "/var/spool/prepcast/inbox", "/var/log/prepcast"],
  },
];

function load(file: string): Dockerfile {
  return parseDockerfile(readRepoFile(file), file);
}

/** Maps a path inside the image (/app/...) to the repository, where the builder copied it from. */
function imagePathToRepo(imagePath: string): string {
  if (!imagePath.startsWith("/app/")) throw new Error(`${imagePath} is not under /app`);
  return repoPath(imagePath.slice("/app/".length));
}

describe("Dockerfile parser", () => {
  it("joins continuations, reads flags, exec form and stage names", () => {
    const parsed = parseDockerfile(
      [
        "# syntax=docker/dockerfile:1",
        "ARG BASE=node:20",
        "FROM ${BASE} AS build",
        "RUN a \\",
        "  && b",
        "FROM scratch",
        "COPY --from=build /x /y",
        'CMD ["a", "b"]',
      ].join("\n"),
    );
    expect(parsed.stages.map((s) => [s.name, s.baseImage])).toEqual([
      ["build", "node:20"],
      [undefined, "scratch"],
    ]);
    expect(parsed.stages[0].instructions[1].args).toBe("a && b");
    expect(parsed.stages[1].instructions[1].flags).toEqual({ from: "build" });
    expect(parsed.stages[1].instructions[2].exec).toEqual(["a", "b"]);
  });

  it("rejects what it cannot read instead of guessing", () => {
    expect(() => parseDockerfile("FROM a\nRUN <<EOF\nx\nEOF")).toThrow(/heredocs/);
    expect(() => parseDockerfile("FROM a\nFROBNICATE x")).toThrow(/unknown instruction FROBNICATE/);
    expect(() => parseDockerfile("RUN x")).toThrow(/before the first FROM/);
  });

  it("matches .dockerignore patterns like Docker does", () => {
    const ignored = dockerignoreMatcher("**/node_modules\n*.md\n!README.md\n/docs\n");
    expect(ignored("node_modules")).toBe(true);
    expect(ignored("packages/a/node_modules/x/index.js")).toBe(true);
    expect(ignored("CHANGES.md")).toBe(true);
    expect(ignored("README.md")).toBe(false);
    expect(ignored("docs/architecture.md")).toBe(true);
    expect(ignored("packages/docs/x")).toBe(false);
  });
});

describe.each(images)("$file", (spec) => {
  const dockerfile = load(spec.file);
  const runtime = finalStage(dockerfile);

  it("is multi-stage: a builder with the toolchain, a runtime without it", () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(["builder", "runtime"]);
    for (const stage of dockerfile.stages) expect(stage.baseImage).toBe("node:24-bookworm-slim");
    expect(dockerfile.stages[0].source).toMatch(/apt-get install[^\n]*python3 make g\+\+/);
    expect(dockerfile.stages[0].source).toMatch(/npm ci[\s\S]*npm run build[\s\S]*npm prune --omit=dev/);
    expect(runtime.source).not.toMatch(/\bg\+\+|\bmake\b|python3|npm ci|npm install/);
    const copies = all(runtime, "COPY");
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) expect(copy.flags.from).toBe("builder");
  });

  it("runs as the non-root prepcast user (uid 10001) in the final stage", () => {
    const user = last(runtime, "USER");
    expect(user?.args).toBe("prepcast:prepcast");
    expect(runtime.source).toMatch(/groupadd --system --gid 10001 prepcast/);
    expect(runtime.source).toMatch(/useradd --system --uid 10001 --gid prepcast\b[^\n]*--shell \/usr\/sbin\/nologin prepcast/);
    // nothing after USER may switch back to root
    const userIndex = runtime.instructions.lastIndexOf(user!);
    expect(runtime.instructions.slice(userIndex + 1).some((i) => i.keyword === "USER")).toBe(false);
  });

  it("declares a node-only HEALTHCHECK on its admin /readyz (readiness, not only liveness)", () => {
    const health = last(runtime, "HEALTHCHECK");
    expect(health).toBeDefined();
    expect(health!.flags).toMatchObject({ interval: "15s", timeout: "5s", retries: "3" });
    expect(health!.exec?.slice(0, 2)).toEqual(["node", "-e"]);
    expect(health!.exec![2]).toContain("process.env.PREPCAST_HEALTH_URL");
    expect(envOf(runtime).PREPCAST_HEALTH_URL).toBe(`http://127.0.0.1:${spec.adminPort}/readyz`);
  });

  it("has an exec-form ENTRYPOINT under tini that points at the app's bin in the repository", () => {
    const entrypoint = last(runtime, "ENTRYPOINT")?.exec;
    expect(entrypoint).toEqual(["/usr/bin/tini", "--", "node", `/app/apps/${spec.app}/bin/prep-${spec.app}.js`]);
    expect(fs.existsSync(imagePathToRepo(entrypoint![3]))).toBe(true);
    expect(runtime.source).toMatch(/apt-get install[^\n]*\btini\b/);
    expect(last(runtime, "CMD")?.exec).toEqual(["run", "--config", `/etc/prepcast/${spec.app}.yaml`]);
  });

  it("exposes its ports and declares volumes for keys, data and logs", () => {
    expect(all(runtime, "EXPOSE").flatMap((e) => e.args.split(/\s+/))).toEqual(spec.ports);
    const volumes = all(runtime, "VOLUME").flatMap((v) => v.exec ?? v.args.split(/\s+/));
    expect(volumes).toEqual(spec.volumes);
    // the volumes exist in the image and belong to the service user, so a fresh named volume does too
    for (const volume of spec.volumes) {
      expect(runtime.source).toMatch(new RegExp(`mkdir -p [^\\n]*${volume}(\\s|$)`, "m"));
      expect(runtime.source).toMatch(new RegExp(`chown prepcast:prepcast [^\\n]*${volume}(\\s|$)`, "m"));
    }
  });

  it("copies only sources that exist in the build context and are not ignored", () => {
    const ignored = dockerignoreMatcher(readRepoFile(".dockerignore"));
    const stageNames = dockerfile.stages.map((s) => s.name);
    for (const [index, stage] of dockerfile.stages.entries()) {
      for (const copy of [...all(stage, "COPY"), ...all(stage, "ADD")]) {
        const parts = copy.exec ?? copy.args.split(/\s+/);
        const sources = parts.slice(0, -1);
        expect(sources.length).toBeGreaterThan(0);
        if (copy.flags.from !== undefined) {
          expect(stageNames.slice(0, index)).toContain(copy.flags.from);
          continue;
        }
        for (const source of sources) {
          const relative = path.normalize(source).replace(/^\.\/?$/, "");
          expect(fs.existsSync(path.join(repoRoot, relative))).toBe(true);
          if (relative !== "") expect(ignored(relative)).toBe(false);
        }
      }
    }
  });
});

describe("the two Dockerfiles", () => {
  it("share one identical builder stage (one cache, no drift)", () => {
    const [receiver, publisher] = images.map((i) => load(i.file).stages[0].source);
    expect(publisher).toBe(receiver);
  });

  it("install dependencies from every workspace manifest in the context before copying the sources (a cached npm ci layer)", () => {
    const ignored = dockerignoreMatcher(readRepoFile(".dockerignore"));
    const workspaces = (JSON.parse(readRepoFile("package.json")).workspaces as string[])
      .flatMap((w) => (w.endsWith("/*") ? fs.readdirSync(repoPath(w.slice(0, -2))).map((n) => `${w.slice(0, -2)}/${n}`) : [w]))
      .filter((w) => fs.existsSync(repoPath(w, "package.json")) && !ignored(`${w}/package.json`));
    for (const image of images) {
      const builder = load(image.file).stages[0];
      const copies = builder.instructions.filter((i) => i.keyword === "COPY").map((i) => i.args);
      const npmCi = builder.instructions.findIndex((i) => i.keyword === "RUN" && /^npm ci\b/.test(i.args));
      const copyAll = builder.instructions.findIndex((i) => i.keyword === "COPY" && i.args === ". .");
      expect(npmCi).toBeGreaterThan(0);
      expect(copyAll).toBeGreaterThan(npmCi);
      expect(copies).toEqual(expect.arrayContaining(["package.json ./", "package-lock.json ./", ...workspaces.map((w) => `${w}/package.json ${w}/`)]));
    }
  });
});

describe(".dockerignore", () => {
  const ignored = dockerignoreMatcher(readRepoFile(".dockerignore"));

  it("keeps out build outputs, VCS data and key material", () => {
    for (const p of [
      "node_modules",
      "packages/protocol/node_modules/x",
      "apps/receiver/dist/cli/main.js",
      ".git/HEAD",
      "proto/src/gen/prepcast.js",
      "secrets/identity.key",
      "tls/server.pem",
      "infra/systemd/prep-receiver.env",
    ]) {
      expect([p, ignored(p)]).toEqual([p, true]);
    }
  });

  it("keeps every file the image build needs", () => {
    const needed = ["package.json", "package-lock.json", "turbo.json", "tsconfig.base.json"];
    const workspaces = ["proto", ...["packages", "apps"].flatMap((d) => fs.readdirSync(repoPath(d)).map((n) => `${d}/${n}`))].filter((w) =>
      fs.existsSync(repoPath(w, "package.json")),
    );
    for (const workspace of workspaces) {
      needed.push(`${workspace}/package.json`);
      if (fs.existsSync(repoPath(workspace, "tsconfig.build.json"))) needed.push(`${workspace}/tsconfig.build.json`);
      const walk = (dir: string): void => {
        if (!fs.existsSync(repoPath(dir))) return;
        for (const entry of fs.readdirSync(repoPath(dir), { withFileTypes: true })) {
          const relative = `${dir}/${entry.name}`;
          if (entry.name === "__tests__" || entry.name === "gen") continue;
          if (entry.isDirectory()) walk(relative);
          else needed.push(relative);
        }
      };
      for (const dir of ["src", "bin", "scripts", "prepcast"]) walk(`${workspace}/${dir}`);
    }
    expect(workspaces.length).toBeGreaterThanOrEqual(3);
    expect(needed.filter((p) => ignored(p))).toEqual([]);
  });
});
