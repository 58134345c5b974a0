// docs/protocol.md §9.4 prints a worked example of a zip and its unpacked form; this checks the
// printed bytes against the real code both ways (split: zip → unpacked form; rebuild: unpacked
// form → zip, verified against the zip's SHA-256).
import * as fs from "node:fs";
import * as path from "node:path";
import { splitZip, unpackedForm, zipFromUnpacked } from "../zip";
import { sha256Hex } from "../zip/split";
import { writeZip } from "./zip-writer";

const doc = fs.readFileSync(path.join(__dirname, "../../../../docs/protocol.md"), "utf8");

function printed(name: string): Buffer {
  const m = new RegExp("<!-- " + name + " -->\\n```text\\n([0-9a-f\\n]+)```").exec(doc);
  if (!m) throw new Error(`docs/protocol.md has no ${name} block`);
  return Buffer.from(m[1]!.replace(/\n/g, ""), "hex");
}

describe("protocol.md §9.4 worked example", () => {
  const zip = writeZip([
    { name: "LEEME.txt", data: Buffer.from("PREP 2024\n"), how: { method: "stored" } },
    { name: "datos.csv", data: Buffer.from("SECCION|CASILLA|VOTOS\n0001|B1|42\n0001|C1|17\n0002|B1|42\n"), how: { method: "pako", level: 9, memLevel: 9 } },
  ]);

  it("the printed zip is the one described, and splits into the printed unpacked form", () => {
    if (process.env.PREPCAST_WRITE_VECTORS) console.log(zip.toString("hex"), "\n", unpackedForm(splitZip(zip, "v.zip")).toString("hex"));
    expect(printed("delta-zip zip").toString("hex")).toBe(zip.toString("hex"));
    expect(unpackedForm(splitZip(zip, "v.zip")).toString("hex")).toBe(printed("delta-zip unpacked").toString("hex"));
  });

  it("the printed unpacked form rebuilds the printed zip exactly", () => {
    const z = printed("delta-zip zip");
    const file = { path: "datos/base.zip", size: z.length, sha256: sha256Hex(z) };
    expect(zipFromUnpacked(printed("delta-zip unpacked"), file, "vector").equals(z)).toBe(true);
  });
});
