// Address allowlists: CIDR parsing and matching for IPv4, IPv6 and IPv4-mapped IPv6.
// Deny by default: an Allowlist built from an empty list admits nobody.
import { isIPv4, isIPv6 } from "node:net";
import { PrepcastError } from "@prepcast/protocol";

interface ParsedCidr {
  text: string;
  bytes: Uint8Array; // 4 or 16 bytes
  prefix: number;
}

function ipv4Bytes(ip: string): Uint8Array {
  return Uint8Array.from(ip.split(".").map((p) => Number(p)));
}

function ipv6Bytes(ip: string): Uint8Array {
  let text = ip;
  const out = new Uint8Array(16);
  // A trailing dotted quad ("::ffff:1.2.3.4") fills the last 32 bits.
  let tail: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".", lastColon)) {
    tail = ipv4Bytes(text.slice(lastColon + 1));
    text = text.slice(0, lastColon + 1) + "0:0";
  }
  const [head, rest] = text.includes("::") ? text.split("::") : [text, undefined];
  const headParts = head ? head.split(":") : [];
  const restParts = rest ? rest.split(":") : [];
  const groups = [...headParts, ...new Array(8 - headParts.length - restParts.length).fill("0"), ...restParts];
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  if (tail) out.set(tail, 12);
  return out;
}

/** Parses an address into 4 (IPv4, including IPv4-mapped IPv6) or 16 bytes; undefined if not an IP. */
export function parseIpAddress(address: string): Uint8Array | undefined {
  const ip = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  if (isIPv4(ip)) return ipv4Bytes(ip);
  if (!isIPv6(ip)) return undefined;
  const bytes = ipv6Bytes(ip);
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

/** "::ffff:127.0.0.1" → "127.0.0.1"; other addresses unchanged (brackets and zone removed). */
export function normalizeAddress(address: string): string {
  const ip = address.replace(/^\[|\]$/g, "");
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1]! : ip;
}

export function parseCidr(cidr: string, where?: string): ParsedCidr {
  const fail = (why: string): never => {
    throw new PrepcastError("CONFIG_INVALID", `invalid CIDR ${JSON.stringify(cidr)}: ${why}`, {
      ...(where !== undefined ? { where } : {}),
      hint: 'write an address with a prefix length, e.g. "10.0.0.0/8", "192.0.2.7/32" or "2001:db8::/32"',
    });
  };
  if (typeof cidr !== "string" || cidr.trim() === "") return fail("empty");
  const [ip, prefixText, extra] = cidr.trim().split("/");
  if (extra !== undefined) return fail("more than one '/'");
  const bytes = parseIpAddress(ip!);
  if (!bytes || /^\[/.test(ip!)) return fail(`"${ip}" is not an IPv4 or IPv6 address`);
  const max = bytes.length * 8;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText)) return fail(`prefix length "${prefixText}" is not a number`);
    prefix = Number(prefixText);
    // An IPv4-mapped IPv6 CIDR ("::ffff:10.0.0.0/104") counts its prefix over 128 bits.
    if (bytes.length === 4 && isIPv6(ip!)) prefix -= 96;
    if (prefix < 0 || prefix > max) return fail(`prefix length must be between 0 and ${isIPv6(ip!) ? 128 : 32}`);
  }
  for (let bit = prefix; bit < max; bit++) {
    if (bytes[bit >> 3]! & (0x80 >> (bit & 7))) {
      return fail(`host bits are set after /${prefixText}; did you mean the network address?`);
    }
  }
  return { text: cidr.trim(), bytes, prefix };
}

function matches(c: ParsedCidr, addr: Uint8Array): boolean {
  if (c.bytes.length !== addr.length) return false;
  const full = c.prefix >> 3;
  for (let i = 0; i < full; i++) if (c.bytes[i] !== addr[i]) return false;
  const rem = c.prefix & 7;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return (c.bytes[full]! & mask) === (addr[full]! & mask);
}

export class Allowlist {
  private readonly cidrs: ParsedCidr[];

  /** Throws CONFIG_INVALID naming the bad entry (`where` + `[index]`). */
  constructor(cidrs: readonly string[], where = "allowlist") {
    this.cidrs = cidrs.map((c, i) => parseCidr(c, `${where}[${i}]`));
  }

  /** True when the address falls inside one of the CIDRs; unparseable addresses are denied. */
  allows(address: string | undefined): boolean {
    if (!address) return false;
    const bytes = parseIpAddress(address);
    return bytes !== undefined && this.cidrs.some((c) => matches(c, bytes));
  }

  get entries(): string[] {
    return this.cidrs.map((c) => c.text);
  }
}
