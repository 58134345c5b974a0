import { PrepcastError } from "../errors";
import { MAX_ENTRY_NAME_BYTES, MAX_FILE_SIZE, MAX_PAX_HEADER_SIZE } from "./format";

// tar-stream buffers a whole pax or GNU long-name header in memory (up to 4 MiB) and accepts
// links, devices, global headers and data after the end-of-archive marker. The guard sees every
// byte before tar-stream does, follows the 512-byte header boundaries itself, and refuses all of
// that first, so what reaches tar-stream is a plain ustar/pax stream of regular files it parses
// the same way the guard did.

const BLOCK = 512;
const TYPE_NAMES: Record<string, string> = {
  "1": "hard link",
  "2": "symbolic link",
  "3": "character device",
  "4": "block device",
  "5": "directory",
  "6": "FIFO",
  "7": "contiguous file",
  g: "global pax header",
  L: "GNU long name header",
  K: "GNU long link name header",
};

export interface TarGuardLimits {
  maxPaxHeaderSize: number;
  maxNameBytes: number;
}

function padding(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}

/** Parses a ustar numeric field strictly: optional spaces, octal digits, then only NUL/space. */
function parseOctalField(block: Buffer, offset: number, length: number, what: string, at: number): number {
  const field = block.subarray(offset, offset + length);
  let i = 0;
  while (i < field.length && field[i] === 0x20) i++;
  const start = i;
  while (i < field.length && field[i]! >= 0x30 && field[i]! <= 0x37) i++;
  const digits = field.subarray(start, i).toString("latin1");
  for (; i < field.length; i++) {
    if (field[i] === 0 || field[i] === 0x20) continue;
    throw new PrepcastError("PACKAGE_INVALID", `tar header at byte ${at}: the ${what} field is not an octal number`, {
      where: `byte ${at}`,
      hint: "the file is damaged or was not written by prep-publisher pack",
    });
  }
  if (digits.length === 0) {
    if (what === "size") return 0;
    throw new PrepcastError("PACKAGE_INVALID", `tar header at byte ${at}: the ${what} field is empty`, {
      where: `byte ${at}`,
      hint: "the file is damaged or was not written by prep-publisher pack",
    });
  }
  return parseInt(digits, 8);
}

function headerChecksum(block: Buffer): number {
  let sum = 8 * 0x20;
  for (let i = 0; i < 148; i++) sum += block[i]!;
  for (let i = 156; i < BLOCK; i++) sum += block[i]!;
  return sum;
}

function cString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? length : nul).toString("utf8");
}

/** Parses pax records (`<len> <key>=<value>\n`) strictly; only `path` is allowed. */
export function parsePaxRecords(data: Buffer, at: number): { path?: string } {
  const out: { path?: string } = {};
  let pos = 0;
  const bad = (why: string) =>
    new PrepcastError("PACKAGE_INVALID", `pax header at byte ${at}: ${why}`, {
      where: `byte ${at}`,
      hint: "the file is damaged or was not written by prep-publisher pack",
    });
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1 || space - pos > 10) throw bad("a record has no length");
    const lenText = data.subarray(pos, space).toString("latin1");
    if (!/^[1-9][0-9]*$/.test(lenText)) throw bad("a record length is not a decimal number");
    const len = Number(lenText);
    if (pos + len > data.length || data[pos + len - 1] !== 0x0a) throw bad("a record overruns the header or lacks its newline");
    const record = data.subarray(space + 1, pos + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw bad("a record has no key");
    const key = record.subarray(0, eq).toString("utf8");
    const value = record.subarray(eq + 1);
    if (key !== "path") throw bad(`record "${key.slice(0, 40)}" is not allowed (only "path" is)`);
    const text = value.toString("utf8");
    if (!Buffer.from(text, "utf8").equals(value)) throw bad("the path is not valid UTF-8");
    if (out.path !== undefined) throw bad("two path records");
    out.path = text;
    pos += len;
  }
  return out;
}

/** A file that is not a .prep at all (a text file, a zip, the wrong download): said so, not "truncated". */
export function notAPackage(why: string): PrepcastError {
  return new PrepcastError("PACKAGE_INVALID", `not a PREPcast package (.prep): ${why}`, {
    hint: "a .prep is the POSIX tar file `prep-publisher pack` writes; check that this is the file the OPLE published",
  });
}

/** The name every .prep starts with (its first tar header), so a package cut short in its first block is still recognised as one. */
const FIRST_NAME = Buffer.from("prepcast/");

export class TarHeaderGuard {
  private offset = 0; // bytes of the archive inspected so far
  private header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  private skip = 0; // data + padding of the current entry still to pass
  private paxData: Buffer | null = null;
  private paxFill = 0;
  private paxAt = 0;
  private paxPath: string | undefined;
  private endZeros = -1; // -1 while entries are still expected; then zero bytes seen since the marker
  private readonly limits: TarGuardLimits;
  /** Regular-file entries seen so far. */
  entries = 0;

  constructor(limits: Partial<TarGuardLimits> = {}) {
    this.limits = { maxPaxHeaderSize: MAX_PAX_HEADER_SIZE, maxNameBytes: MAX_ENTRY_NAME_BYTES, ...limits };
  }

  /** Inspects the next bytes of the archive; throws before they may be handed on. */
  inspect(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.endZeros >= 0) {
        for (let i = pos; i < chunk.length; i++) {
          if (chunk[i] !== 0) {
            throw new PrepcastError("TRAILING_DATA", `data after the end-of-archive marker at byte ${this.offset + i - pos}`, {
              where: `byte ${this.offset + i - pos}`,
              hint: "the package was altered after it was written; ask the OPLE for a fresh copy",
            });
          }
        }
        this.endZeros += chunk.length - pos;
        this.offset += chunk.length - pos;
        return;
      }
      if (this.paxData !== null) {
        const n = Math.min(this.paxData.length - this.paxFill, chunk.length - pos);
        chunk.copy(this.paxData, this.paxFill, pos, pos + n);
        this.paxFill += n;
        pos += n;
        this.offset += n;
        if (this.paxFill === this.paxData.length) {
          const records = parsePaxRecords(this.paxData, this.paxAt);
          this.skip = padding(this.paxData.length);
          this.paxData = null;
          if (records.path === undefined)
            throw new PrepcastError("PACKAGE_INVALID", `pax header at byte ${this.paxAt} has no path`, { where: `byte ${this.paxAt}` });
          if (Buffer.byteLength(records.path) > this.limits.maxNameBytes) {
            throw new PrepcastError("HEADER_TOO_LARGE", `entry name of ${Buffer.byteLength(records.path)} bytes exceeds ${this.limits.maxNameBytes}`, {
              where: `byte ${this.paxAt}`,
            });
          }
          this.paxPath = records.path;
        }
        continue;
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - pos);
        this.skip -= n;
        pos += n;
        this.offset += n;
        continue;
      }
      const n = Math.min(BLOCK - this.headerFill, chunk.length - pos);
      chunk.copy(this.header, this.headerFill, pos, pos + n);
      this.headerFill += n;
      pos += n;
      this.offset += n;
      if (this.headerFill === BLOCK) {
        this.headerFill = 0;
        this.onHeader(this.offset - BLOCK);
      }
    }
  }

  /** Call at the end of the input: the archive must end on its end-of-archive marker. */
  end(): void {
    if (this.endZeros >= BLOCK) return;
    const where = `byte ${this.offset}`;
    if (this.offset === 0)
      throw new PrepcastError("TRUNCATED", "the package is empty (0 bytes)", {
        hint: "the copy failed or was cut short; copy it again and compare its size with the original",
      });
    if (
      this.offset < BLOCK &&
      !this.header.subarray(0, Math.min(this.offset, FIRST_NAME.length)).equals(FIRST_NAME.subarray(0, Math.min(this.offset, FIRST_NAME.length)))
    ) {
      throw notAPackage(`${this.offset} bytes, shorter than one tar header, and not the start of one`);
    }
    if (this.endZeros >= 0) {
      throw new PrepcastError("TRUNCATED", "the end-of-archive marker is incomplete", { where, hint: "the package was cut short; copy it again" });
    }
    throw new PrepcastError(
      "TRUNCATED",
      this.skip > 0 || this.headerFill > 0 || this.paxData !== null
        ? "the package ends in the middle of an entry"
        : "the package ends without its end-of-archive marker",
      {
        where,
        hint: "the package was cut short; copy it again and compare its size with the original",
      },
    );
  }

  private onHeader(at: number): void {
    const h = this.header;
    const where = `byte ${at}`;
    if (at === 0) {
      // the first block decides whether this is a tar at all: checksum and ustar magic
      let stored = NaN;
      try {
        stored = parseOctalField(h, 148, 8, "checksum", at);
      } catch {
        /* not a number: not a tar header */
      }
      if (h.every((b) => b === 0)) throw notAPackage("it starts with an end-of-archive marker (an empty tar archive)");
      if (stored !== headerChecksum(h)) throw notAPackage("its first 512 bytes are not a tar header");
      if (h.toString("latin1", 257, 265) !== "ustar\u000000") throw notAPackage("a tar archive, but not in the POSIX format prep-publisher pack writes");
    }
    if (h.every((b) => b === 0)) {
      if (this.paxPath !== undefined) throw new PrepcastError("PACKAGE_INVALID", "a pax header is not followed by its entry", { where });
      this.endZeros = 0;
      return;
    }
    const stored = parseOctalField(h, 148, 8, "checksum", at);
    if (stored !== headerChecksum(h)) {
      throw new PrepcastError("PACKAGE_INVALID", `tar header at byte ${at} has a wrong checksum`, {
        where,
        hint: at === 0 ? "this is not a .prep package (a POSIX tar written by prep-publisher pack)" : "the package is damaged; copy it again",
      });
    }
    if (h.toString("latin1", 257, 265) !== "ustar\u000000") {
      throw new PrepcastError("PACKAGE_INVALID", `tar header at byte ${at} is not a POSIX ustar header`, {
        where,
        hint: "packages are POSIX (pax) tar files written by prep-publisher pack",
      });
    }
    const flag = h[156] === 0 ? "0" : String.fromCharCode(h[156]!);
    const prefix = cString(h, 345, 155);
    const ustarName = prefix ? `${prefix}/${cString(h, 0, 100)}` : cString(h, 0, 100);
    if ((h[124]! & 0x80) !== 0) {
      throw new PrepcastError("TOO_LARGE", "an entry uses a base-256 size (over 8 GiB)", { where: ustarName || where });
    }
    const size = parseOctalField(h, 124, 12, "size", at);
    if (flag === "x" || flag === "g" || flag === "L" || flag === "K") {
      if (size > this.limits.maxPaxHeaderSize) {
        throw new PrepcastError(
          "HEADER_TOO_LARGE",
          `${flag === "x" ? "pax header" : TYPE_NAMES[flag]} of ${size} bytes exceeds ${this.limits.maxPaxHeaderSize}`,
          {
            where,
            hint: "the package was not written by prep-publisher pack; refuse it",
          },
        );
      }
      if (flag !== "x") {
        throw new PrepcastError("ENTRY_TYPE", `${TYPE_NAMES[flag]} found; .prep packages hold only regular files named by pax "path" records`, { where });
      }
      if (this.paxPath !== undefined) throw new PrepcastError("PACKAGE_INVALID", "two pax headers in a row", { where });
      if (size === 0) throw new PrepcastError("PACKAGE_INVALID", "empty pax header", { where });
      this.paxAt = at;
      this.paxData = Buffer.alloc(size);
      this.paxFill = 0;
      return;
    }
    const name = this.paxPath ?? ustarName;
    this.paxPath = undefined;
    if (flag !== "0") {
      throw new PrepcastError(
        "ENTRY_TYPE",
        `${TYPE_NAMES[flag] ?? `entry of unknown type '${flag}'`} "${name.slice(0, 200)}": only regular files are allowed`,
        {
          where: name.slice(0, 300),
          hint: "packages never contain links, devices, FIFOs or directories; refuse this file",
        },
      );
    }
    if (name.endsWith("/")) {
      throw new PrepcastError("ENTRY_TYPE", `directory entry "${name.slice(0, 200)}": only regular files are allowed`, { where: name.slice(0, 300) });
    }
    if (size > MAX_FILE_SIZE) throw new PrepcastError("TOO_LARGE", `entry of ${size} bytes`, { where: name.slice(0, 300) });
    this.entries++;
    this.skip = size + padding(size);
  }
}
