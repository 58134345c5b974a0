// `prep-publisher admin-password` (real process, password on stdin) and the dashboard login that
// reads its file. Needs `npm run build` first.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { AdminAuth, hashPassword } from "../src/dashboard/auth";
import type { ResolvedPublisherConfig } from "../src/service/config";
import { REPO, tmpDir } from "./helpers";

const work = tmpDir("password");
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function run(args: string[], stdin: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO, "apps/publisher/bin/prep-publisher.js"), ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (status) => resolve({ status, stdout, stderr }));
    child.stdin!.end(stdin);
  });
}

const authFor = (passwordFile: string) =>
  AdminAuth.fromConfig({ admin: { listen: "127.0.0.1:0", passwordFile } } as unknown as ResolvedPublisherConfig, { host: "127.0.0.1", port: 0 });

test("the password is stored as an scrypt hash (0600) and the login accepts it, and only it", async () => {
  const file = path.join(work, "dashboard.pass");
  const r = await run(["admin-password", "--out", file, "--json"], "una contraseña bastante larga\n");
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, file });
  const line = fs.readFileSync(file, "utf8");
  expect(line).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+\n$/);
  expect(line).not.toContain("contraseña");
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  const auth = authFor(file);
  expect(await auth.login("una contraseña bastante larga")).toMatchObject({ id: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
  expect(await auth.login("una contraseña bastante larga ")).toBeNull();
  // the file is never overwritten, and short passwords are refused
  expect((await run(["admin-password", "--out", file], "otra contraseña más larga\n")).status).toBe(1);
  const short = await run(["admin-password", "--out", path.join(work, "corta.pass"), "--json"], "corta\n");
  expect(short.status).toBe(78); // CONFIG_INVALID exits 78 (EX_CONFIG) from every command
  expect(JSON.parse(short.stdout)).toMatchObject({ ok: false, code: "CONFIG_INVALID" });
});

test("a damaged password file is a configuration error naming the file", () => {
  const file = path.join(work, "roto.pass");
  fs.writeFileSync(file, "hunter2\n");
  expect(() => authFor(file)).toThrow(/roto\.pass is not a dashboard password hash/);
});

test("repeated wrong logins are locked out for a minute", async () => {
  const file = path.join(work, "lock.pass");
  fs.writeFileSync(file, (await hashPassword("contraseña correcta y larga", { N: 1024, r: 8, p: 1 })) + "\n");
  const auth = authFor(file);
  for (let i = 0; i < 10; i++) expect(await auth.login(`mala ${i}`)).toBeNull();
  expect(await auth.login("contraseña correcta y larga")).toBe("locked");
});
