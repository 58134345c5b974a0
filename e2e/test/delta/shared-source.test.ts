import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FilePayloadSource } from "@prepcast/session";
import { SharedPayloadSource } from "@prepcast/publisher";

test("sessions reading the same chunk share one Buffer; past the budget reads go to the file", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-shared-"));
  const file = path.join(dir, "stream.bin");
  fs.writeFileSync(file, Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251)));
  const src = new SharedPayloadSource(await FilePayloadSource.open(file), 2048);
  try {
    const [a, b] = await Promise.all([src.read(0, 1024), src.read(0, 1024)]);
    expect(a).toBe(b); // the same object: not copied per receiver
    expect(await src.read(1024, 1024)).toBe(await src.read(1024, 1024));
    const c1 = await src.read(2048, 1024);
    const c2 = await src.read(2048, 1024);
    expect(c1).not.toBe(c2); // over the 2 KiB budget: read again, still the right bytes
    expect(c1.equals(c2)).toBe(true);
    expect(Buffer.concat([a, await src.read(1024, 1024), c1]).equals(fs.readFileSync(file))).toBe(true);
    src.forget();
    expect(await src.read(0, 1024)).not.toBe(a);
  } finally {
    await src.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
