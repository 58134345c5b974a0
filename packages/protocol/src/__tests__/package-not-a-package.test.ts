// What a difusor sees when the file is not what it should be: the wrong file (text, zip, another
// tar) is "not a PREPcast package", a package cut short is TRUNCATED, and a missing file is named
// with a hint, never a bare "open failed: ENOENT". Every message names the file.
import * as fs from "node:fs";
import * as path from "node:path";
import { toPrepcastError } from "../errors";
import { verifyPackage } from "../archive/reader";
import { buildTar } from "../testing";
import { makeCut, makeKeys, NOW, packageEntries, tempDir } from "./fixtures-package/signed-cut";

const keys = makeKeys();
const cut = makeCut(keys, 1, { "index.html": "<h1>corte 1</h1>" });
const opts = { rootPublicKey: keys.root.publicKey, now: NOW };
const dir = tempDir("not-a-package");

async function refusal(name: string, bytes: Buffer | null): Promise<{ code: string; message: string; hint?: string }> {
  const file = path.join(dir, name);
  if (bytes !== null) fs.writeFileSync(file, bytes);
  const e = await verifyPackage(file, opts).then(
    () => {
      throw new Error(`${name} was accepted`);
    },
    (err: unknown) => err as { code: string; message: string; hint?: string },
  );
  expect(e.message).toContain(file);
  return e;
}

describe("a file that is not a .prep", () => {
  it("a short text file is not a PREPcast package (not TRUNCATED)", async () => {
    const e = await refusal("notes.txt", Buffer.from("hola\n"));
    expect(e).toMatchObject({ code: "PACKAGE_INVALID" });
    expect(e.message).toContain("not a PREPcast package");
    expect(e.hint).toContain("prep-publisher pack");
  });

  it("a longer text file, a zip and a foreign tar are not PREPcast packages", async () => {
    for (const [name, bytes] of [
      ["acta.csv", Buffer.from("SECCION|CASILLA|VOTOS\n".repeat(100))],
      ["datos.zip", Buffer.from("PK\u0003\u0004 a zip ".repeat(100))],
      ["other.tar", buildTar([{ name: "notes.txt", data: Buffer.from("hola") }])],
    ] as const) {
      const e = await refusal(name, bytes);
      expect(e).toMatchObject({ code: "PACKAGE_INVALID" });
      expect(e.message).toContain("not a PREPcast package");
    }
  });

  it("a package cut short, even inside its first header, is TRUNCATED; an empty file says it is empty", async () => {
    const whole = buildTar(packageEntries(cut));
    expect(await refusal("short.prep", whole.subarray(0, 300))).toMatchObject({ code: "TRUNCATED" });
    expect(await refusal("half.prep", whole.subarray(0, Math.floor(whole.length / 2)))).toMatchObject({ code: "TRUNCATED" });
    const empty = await refusal("empty.prep", Buffer.alloc(0));
    expect(empty).toMatchObject({ code: "TRUNCATED" });
    expect(empty.message).toContain("empty");
  });

  it("a missing file is named, with what to check", async () => {
    const e = await refusal("nope.prep", null);
    expect(e).toMatchObject({ code: "IO_ERROR" });
    expect(e.message).toMatch(/nope\.prep does not exist \(open: ENOENT\)/);
    expect(e.hint).toContain("check the path");
  });
});

describe("toPrepcastError", () => {
  it("names the file of a file system error and says what went wrong in words", () => {
    const err = (code: string, syscall: string, p?: string) => Object.assign(new Error(`${code}: x`), { code, syscall, ...(p ? { path: p } : {}) });
    expect(toPrepcastError(err("EACCES", "open", "/etc/prepcast/identity.key"))).toMatchObject({
      code: "IO_ERROR",
      message: "/etc/prepcast/identity.key is not accessible (permission denied) (open: EACCES)",
      where: "/etc/prepcast/identity.key",
    });
    expect(toPrepcastError(err("ENOENT", "stat"), "cortes/cut-0002").message).toBe("cortes/cut-0002 does not exist (stat: ENOENT)");
    expect(toPrepcastError(err("EWEIRD", "read", "f")).message).toBe("read f failed: EWEIRD");
    expect(toPrepcastError(err("ENOSPC", "write", "/srv/x"))).toMatchObject({ code: "DISK_FULL", message: "disk full writing /srv/x" });
  });
});
