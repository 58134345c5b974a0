// A minimal tar encoder for tests: unlike tar-stream it writes whatever it is told, so tests can
// build the malformed and hostile archives a reader must refuse.

const BLOCK = 512;

export interface RawHeader {
  name: string;
  size: number;
  /** typeflag character: "0" file, "1" link, "2" symlink, "3" char dev, "4" block dev, "5" dir, "6" fifo, "x" pax, "g", "L", "K" */
  flag?: string;
  linkname?: string;
  prefix?: string;
  magic?: string;
  mode?: number;
  /** write this checksum instead of the right one */
  badChecksum?: boolean;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

export function tarHeader(h: RawHeader): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.name, 0, 100, "utf8");
  b.write(octal(h.mode ?? 0o644, 8), 100, "latin1");
  b.write(octal(0, 8), 108, "latin1");
  b.write(octal(0, 8), 116, "latin1");
  b.write(octal(h.size, 12), 124, "latin1");
  b.write(octal(0, 12), 136, "latin1");
  b.write(h.flag ?? "0", 156, "latin1");
  if (h.linkname) b.write(h.linkname, 157, 100, "utf8");
  b.write(h.magic ?? "ustar\u000000", 257, "latin1");
  if (h.prefix) b.write(h.prefix, 345, 155, "utf8");
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  if (h.badChecksum) sum += 1;
  b.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "latin1");
  return b;
}

export function pad(size: number): Buffer {
  const r = size % BLOCK;
  return Buffer.alloc(r === 0 ? 0 : BLOCK - r);
}

export function paxRecords(records: Record<string, string>): Buffer {
  let out = "";
  for (const [k, v] of Object.entries(records)) {
    const body = ` ${k}=${v}\n`;
    let len = Buffer.byteLength(body) + 1;
    while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
    out += `${len}${body}`;
  }
  return Buffer.from(out, "utf8");
}

export interface RawEntry {
  name: string;
  data?: Buffer;
  flag?: string;
  linkname?: string;
  /** declared size in the header, when it must differ from data.length */
  declaredSize?: number;
  /** put the name in a pax header (written before this entry) */
  paxName?: boolean;
  /** extra raw pax header bytes to write before this entry */
  paxRaw?: Buffer;
}

export function encodeEntry(e: RawEntry): Buffer {
  const data = e.data ?? Buffer.alloc(0);
  const parts: Buffer[] = [];
  let name = e.name;
  if (e.paxRaw || e.paxName) {
    const pax = e.paxRaw ?? paxRecords({ path: e.name });
    parts.push(tarHeader({ name: "PaxHeader", size: pax.length, flag: "x" }), pax, pad(pax.length));
    name = "PaxHeader";
  }
  parts.push(tarHeader({ name, size: e.declaredSize ?? data.length, flag: e.flag ?? "0", ...(e.linkname ? { linkname: e.linkname } : {}) }));
  parts.push(data, pad(data.length));
  return Buffer.concat(parts);
}

export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

export function buildTar(entries: RawEntry[], options: { end?: boolean } = {}): Buffer {
  return Buffer.concat([...entries.map(encodeEntry), options.end === false ? Buffer.alloc(0) : END_OF_ARCHIVE]);
}
