import { checkListeners, listenersOverlap, parseListenAddress } from "../listeners";

describe("listeners", () => {
  test("addresses: IP:PORT, [v6]:PORT or localhost:PORT, port at most 65535", () => {
    expect(parseListenAddress("0.0.0.0:443")).toEqual({ host: "0.0.0.0", port: 443 });
    expect(parseListenAddress("[::]:8730")).toEqual({ host: "::", port: 8730 });
    expect(parseListenAddress("localhost:0")).toEqual({ host: "localhost", port: 0 });
    expect(parseListenAddress("8730")).toMatch(/not HOST:PORT/);
    expect(parseListenAddress("127.0.0.1:70000")).toMatch(/above 65535/);
    expect(parseListenAddress("prep.difusor.mx:443")).toMatch(/not an IP address/);
    expect(parseListenAddress("[10.0.0.1]:443")).toMatch(/not an IPv6 address/);
  });

  test("overlap: same port and same address, or a wildcard on either side; port 0 never", () => {
    const at = (host: string, port: number) => ({ host, port });
    expect(listenersOverlap(at("0.0.0.0", 80), at("127.0.0.1", 80))).toBe(true);
    expect(listenersOverlap(at("::", 80), at("192.0.2.1", 80))).toBe(true);
    expect(listenersOverlap(at("::1", 80), at("0:0:0:0:0:0:0:1", 80))).toBe(true);
    expect(listenersOverlap(at("localhost", 80), at("127.0.0.1", 80))).toBe(true);
    expect(listenersOverlap(at("::ffff:127.0.0.1", 80), at("127.0.0.1", 80))).toBe(true);
    expect(listenersOverlap(at("127.0.0.1", 80), at("127.0.0.2", 80))).toBe(false);
    expect(listenersOverlap(at("0.0.0.0", 80), at("0.0.0.0", 443))).toBe(false);
    expect(listenersOverlap(at("0.0.0.0", 0), at("0.0.0.0", 0))).toBe(false);
  });

  test("checkListeners names both fields of a collision and every bad address", () => {
    const problems: string[] = [];
    checkListeners(
      [
        { field: "push.listen", value: "0.0.0.0:8730" },
        { field: "push.websocket.listen", value: "bad" },
        { field: "site.listen", value: "0.0.0.0:443" },
        { field: "admin.listen", value: "127.0.0.1:8730" },
      ],
      (f, m) => problems.push(`${f}: ${m}`),
    );
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^push\.websocket\.listen: "bad" is not HOST:PORT/);
    expect(problems[1]).toMatch(
      /^admin\.listen: 127\.0\.0\.1:8730 collides with push\.listen 0\.0\.0\.0:8730: both would listen on port 8730 \(0\.0\.0\.0 takes every address/,
    );
  });
});
