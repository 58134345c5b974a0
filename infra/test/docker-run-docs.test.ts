// The `docker run` lines in docs/operations/install-ubuntu-docker.md agree with the Dockerfiles:
// every mount targets a declared VOLUME, every published port is EXPOSEd, and every long-running
// container is started hardened, with the keys read-only.
import { all, finalStage, parseDockerfile } from "./helpers/dockerfile";
import * as fs from "node:fs";
import { readRepoFile, repoPath } from "./helpers/repo";

interface DockerRun {
  text: string;
  image: string;
  app: "receiver" | "publisher";
  flags: string[];
  args: string[];
}

function dockerRuns(markdown: string): DockerRun[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].replace(/\\\n\s*/g, " "));
  const runs: DockerRun[] = [];
  for (const line of blocks.flatMap((b) => b.split("\n"))) {
    const match = /docker run (.*)$/.exec(line);
    if (!match) continue;
    const tokens = match[1].split(/\s+/).filter(Boolean);
    const imageIndex = tokens.findIndex((t) => /^localhost\/prepcast\/(receiver|publisher):/.test(t));
    if (imageIndex < 0) throw new Error(`docker run without a prepcast image: ${line}`);
    runs.push({
      text: line.trim(),
      image: tokens[imageIndex],
      app: /^localhost\/prepcast\/(receiver|publisher)/.exec(tokens[imageIndex])![1] as DockerRun["app"],
      flags: tokens.slice(0, imageIndex),
      args: tokens.slice(imageIndex + 1),
    });
  }
  return runs;
}

function valuesOf(flags: string[], name: string): string[] {
  return flags.flatMap((f, i) => (f === name ? [flags[i + 1]] : []));
}

const runs = dockerRuns(readRepoFile("docs", "operations", "install-ubuntu-docker.md"));
const otherRuns = fs
  .readdirSync(repoPath("docs", "operations"))
  .filter((f) => f.endsWith(".md") && f !== "install-ubuntu-docker.md")
  .flatMap((f) => dockerRuns(readRepoFile("docs", "operations", f)));
const image = (app: string) => finalStage(parseDockerfile(readRepoFile("infra", "docker", `${app}.Dockerfile`)));

describe("docker run lines in docs/operations", () => {
  it("are found in install-ubuntu-docker.md: services, init, install, serve", () => {
    expect(runs.length).toBeGreaterThanOrEqual(5);
    expect(
      runs
        .filter((r) => r.flags.includes("-d"))
        .map((r) => r.app)
        .sort(),
    ).toEqual(["publisher", "receiver", "receiver"]);
  });

  it.each([...runs, ...otherRuns].map((r) => [r.text.slice(0, 90), r] as const))("%s…: mounts declared volumes, publishes exposed ports", (_label, run) => {
    const runtime = image(run.app);
    const volumes = all(runtime, "VOLUME").flatMap((v) => v.exec ?? v.args.split(/\s+/));
    const exposed = all(runtime, "EXPOSE").flatMap((e) => e.args.split(/\s+/));
    for (const mount of valuesOf(run.flags, "-v")) {
      const target = mount.split(":")[1];
      if (target === "/in") continue; // input files for `install`, read-only
      expect([mount, volumes]).toEqual([mount, expect.arrayContaining([target])]);
    }
    for (const port of valuesOf(run.flags, "-p")) {
      const containerPort = port.split(":").pop()!;
      expect([port, exposed]).toEqual([port, expect.arrayContaining([containerPort])]);
    }
  });

  it.each(runs.filter((r) => r.flags.includes("-d")).map((r) => [r.text.slice(0, 90), r] as const))(
    "%s…: long-running, hardened, keys read-only",
    (_label, run) => {
      for (const flag of ["--read-only", "--restart", "--cap-drop"]) expect(run.flags).toContain(flag);
      expect(valuesOf(run.flags, "--cap-drop")).toEqual(["ALL"]);
      const keys = valuesOf(run.flags, "-v").filter((m) => m.split(":")[1] === "/etc/prepcast");
      for (const mount of keys) expect(mount.endsWith(":ro")).toBe(true);
      // the admin listener is published on the host's loopback only, if at all
      for (const port of valuesOf(run.flags, "-p").filter((p) => p.endsWith(":8740") || p.endsWith(":8731"))) expect(port.startsWith("127.0.0.1:")).toBe(true);
    },
  );
});
