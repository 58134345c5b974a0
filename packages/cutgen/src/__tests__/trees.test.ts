import { cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compareTrees, listFiles } from "../index";
import { tempDirs } from "./helpers";

const tmp = tempDirs();

function makeTree(root: string): void {
  mkdirSync(join(root, "data/GUB"), { recursive: true });
  writeFileSync(join(root, "index.html"), "<html>corte</html>");
  writeFileSync(join(root, "data/GUB/entidad.json"), JSON.stringify({ votos: [1, 2, 3] }));
  writeFileSync(join(root, "big.bin"), Buffer.alloc(3 * 1024 * 1024, 7)); // spans several read chunks
}

describe("listFiles", () => {
  test("relative / paths with sizes, sorted by UTF-8 byte order (not locale order)", async () => {
    const root = tmp();
    for (const name of ["z", "ñ", "a", "B"]) writeFileSync(join(root, name), name);
    mkdirSync(join(root, "a-dir/sub"), { recursive: true });
    writeFileSync(join(root, "a-dir/sub/x.json"), "{}");
    symlinkSync("z", join(root, "link"));
    expect(await listFiles(root)).toEqual([
      { path: "B", size: 1 },
      { path: "a", size: 1 },
      { path: "a-dir/sub/x.json", size: 2 },
      { path: "z", size: 1 },
      { path: "ñ", size: 2 },
    ]);
  });
});

describe("compareTrees", () => {
  let a: string;
  beforeAll(() => {
    a = tmp();
    makeTree(a);
  });
  const copy = (): string => {
    const b = tmp();
    cpSync(a, b, { recursive: true });
    return b;
  };

  test("equal trees", async () => {
    expect(await compareTrees(a, copy())).toEqual({ equal: true, differences: [] });
  });

  test("a single changed byte deep inside a large file", async () => {
    const b = copy();
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    big[2 * 1024 * 1024 + 5] = 8;
    writeFileSync(join(b, "big.bin"), big);
    expect(await compareTrees(a, b)).toEqual({ equal: false, differences: [`content differs: big.bin (first at byte ${2 * 1024 * 1024 + 5})`] });
  });

  test("a missing file, an extra file and a size change", async () => {
    const b = copy();
    rmSync(join(b, "index.html"));
    writeFileSync(join(b, "data/GUB/extra.json"), "{}");
    writeFileSync(join(b, "data/GUB/entidad.json"), JSON.stringify({ votos: [1, 2, 30] }));
    const result = await compareTrees(a, b);
    expect(result.equal).toBe(false);
    expect(result.differences).toEqual([
      "size differs: data/GUB/entidad.json (17 vs 18 bytes)",
      `only in ${b}: data/GUB/extra.json`,
      `only in ${a}: index.html`,
    ]);
  });

  test("a symlink in place of a file is a difference even if it points at equal bytes", async () => {
    const b = copy();
    const outside = tmp();
    writeFileSync(join(outside, "index.html"), "<html>corte</html>");
    rmSync(join(b, "index.html"));
    symlinkSync(join(outside, "index.html"), join(b, "index.html"));
    expect((await compareTrees(a, b)).differences).toEqual(["not a regular file: index.html (file vs symlink)"]);
  });
});
