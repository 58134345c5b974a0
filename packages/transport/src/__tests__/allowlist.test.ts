import { isPrepcastError } from "@prepcast/protocol";
import { Allowlist, normalizeAddress, parseCidr, parseIpAddress } from "../allowlist";

describe("Allowlist", () => {
  it("matches IPv4 CIDRs at every prefix boundary", () => {
    const a = new Allowlist(["10.0.0.0/8", "192.168.1.128/25", "203.0.113.7/32", "198.51.100.0/23"]);
    expect(a.allows("10.255.3.4")).toBe(true);
    expect(a.allows("11.0.0.0")).toBe(false);
    expect(a.allows("192.168.1.128")).toBe(true);
    expect(a.allows("192.168.1.255")).toBe(true);
    expect(a.allows("192.168.1.127")).toBe(false);
    expect(a.allows("203.0.113.7")).toBe(true);
    expect(a.allows("203.0.113.8")).toBe(false);
    expect(a.allows("198.51.101.9")).toBe(true);
    expect(a.allows("198.51.102.0")).toBe(false);
  });

  it("treats IPv4-mapped IPv6 peers as their IPv4 address, both ways", () => {
    const a = new Allowlist(["127.0.0.0/8"]);
    expect(a.allows("::ffff:127.0.0.1")).toBe(true);
    expect(a.allows("::FFFF:7f00:1")).toBe(true);
    expect(a.allows("::ffff:128.0.0.1")).toBe(false);
    const mapped = new Allowlist(["::ffff:10.0.0.0/104"]);
    expect(mapped.allows("10.1.2.3")).toBe(true);
    expect(mapped.allows("11.1.2.3")).toBe(false);
  });

  it("matches IPv6 CIDRs, compressed forms and zone ids", () => {
    const a = new Allowlist(["2001:db8::/32", "fe80::1/128", "fd12:3456:789a::/48"]);
    expect(a.allows("2001:db8:ffff::1")).toBe(true);
    expect(a.allows("2001:db9::1")).toBe(false);
    expect(a.allows("fe80::1%eth0")).toBe(true);
    expect(a.allows("[fe80::1]")).toBe(true);
    expect(a.allows("fe80::2")).toBe(false);
    expect(a.allows("fd12:3456:789a:1::9")).toBe(true);
    expect(a.allows("fd12:3456:789b::")).toBe(false);
    // IPv4 CIDRs never match IPv6 addresses and vice versa.
    expect(a.allows("32.1.13.184")).toBe(false);
  });

  it("denies by default: empty list, unparseable and missing addresses", () => {
    expect(new Allowlist([]).allows("127.0.0.1")).toBe(false);
    const a = new Allowlist(["0.0.0.0/0"]);
    expect(a.allows("8.8.8.8")).toBe(true);
    expect(a.allows("::1")).toBe(false);
    expect(a.allows(undefined)).toBe(false);
    expect(a.allows("not-an-ip")).toBe(false);
    expect(a.allows("")).toBe(false);
  });

  it.each([
    ["10.0.0.0/33", /between 0 and 32/],
    ["10.0.0.1/8", /host bits/],
    ["10.0.0/8", /not an IPv4 or IPv6/],
    ["example.org/24", /not an IPv4 or IPv6/],
    ["2001:db8::/129", /between 0 and 128/],
    ["10.0.0.0/8/8", /more than one/],
    ["10.0.0.0/x", /not a number/],
    ["", /empty/],
  ])("refuses %j with a clear error", (cidr, why) => {
    let caught: unknown;
    try {
      new Allowlist(["127.0.0.1/32", cidr], "receiver.allowlist");
    } catch (e) {
      caught = e;
    }
    expect(isPrepcastError(caught, "CONFIG_INVALID")).toBe(true);
    const e = caught as Error & { where?: string; hint?: string };
    expect(e.message).toMatch(why);
    expect(e.message).toContain(JSON.stringify(cidr));
    expect(e.where).toBe("receiver.allowlist[1]");
    expect(e.hint).toMatch(/10\.0\.0\.0\/8/);
  });

  it("a bare address means a single host", () => {
    expect(parseCidr("192.0.2.1").prefix).toBe(32);
    expect(parseCidr("::1").prefix).toBe(128);
    expect(new Allowlist(["::1"]).allows("::1")).toBe(true);
  });

  it("normalizes addresses as the servers report them", () => {
    expect(normalizeAddress("::ffff:127.0.0.1")).toBe("127.0.0.1");
    expect(normalizeAddress("[::1]")).toBe("::1");
    expect(normalizeAddress("10.1.1.1")).toBe("10.1.1.1");
    expect(parseIpAddress("::ffff:1.2.3.4")).toEqual(Uint8Array.from([1, 2, 3, 4]));
    expect(parseIpAddress("::1")?.length).toBe(16);
  });
});
