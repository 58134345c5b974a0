import * as zlib from "node:zlib";
import { pakoDeflateRaw } from "../zip/pako";

/** A plain zip writer for tests: local headers, central directory, end record, nothing else (what PHP's ZipArchive writes). */
export interface TestEntry {
  name: string;
  data: Buffer;
  /** stored, or deflated by pinned pako (level/memLevel) or by node:zlib. */
  how: { method: "stored" } | { method: "pako"; level: number; memLevel: number } | { method: "node"; level: number; memLevel: number };
  extra?: Buffer;
}

export function deflateWith(e: TestEntry): { method: number; body: Buffer } {
  const h = e.how;
  if (h.method === "stored") return { method: 0, body: e.data };
  if (h.method === "pako") return { method: 8, body: pakoDeflateRaw(e.data, h.level, h.memLevel) };
  return { method: 8, body: zlib.deflateRawSync(e.data, { level: h.level, memLevel: h.memLevel }) };
}

export function writeZip(entries: readonly TestEntry[], comment = Buffer.alloc(0)): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, "utf8");
    const extra = e.extra ?? Buffer.alloc(0);
    const { method, body } = deflateWith(e);
    const crc = zlib.crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0x6000, 10);
    local.writeUInt16LE(0x4ec3, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x031e, 4);
    local.copy(central, 6, 4, 30); // version needed … extra length: the same fields as the local header
    central.writeUInt16LE(0, 30); // no extra in the central header
    central.writeUInt32LE(0x81a40000, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, extra, body);
    centrals.push(central, name);
    offset += 30 + name.length + extra.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(comment.length, 20);
  return Buffer.concat([...locals, cd, end, comment]);
}

/** CSV-like text, as the PREP's databases are: compressible, with enough variety for deflate's choices to matter. */
export function csvLike(rows: number, seed: number): Buffer {
  const lines = ["CLAVE_CASILLA,ID_ESTADO,SECCION,PAN,PRI,PRD,MORENA,TOTAL_VOTOS,OBSERVACIONES"];
  let s = seed >>> 0 || 1;
  const rnd = (n: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
  for (let i = 0; i < rows; i++) {
    const votes = [rnd(300), rnd(300), rnd(80), rnd(400)];
    lines.push(
      `'23-${1000 + rnd(900)}-B${rnd(4)}',23,${rnd(1000)},${votes.join(",")},${votes.reduce((a, b) => a + b, 0)},${rnd(5) ? "Acta capturada" : "Sin acta"}`,
    );
  }
  return Buffer.from(lines.join("\r\n") + "\r\n");
}
