import { formatIsoOffset, parseIsoWithOffset } from "../index";
import { codeOf } from "./helpers";

describe("time", () => {
  it.each([
    ["2024-06-02T20:15:00-06:00", "2024-06-03T02:15:00.000Z"],
    ["2024-06-03T02:15:00Z", "2024-06-03T02:15:00.000Z"],
    ["2024-06-03T02:15:00.5+00:00", "2024-06-03T02:15:00.500Z"],
    ["2024-02-29T00:00:00+14:00", "2024-02-28T10:00:00.000Z"],
  ])("parses %s", (s, iso) => {
    expect(parseIsoWithOffset(s, "t").toISOString()).toBe(iso);
  });

  it.each([
    "2024-06-02T20:15:00",
    "2024-06-02",
    "2024-06-02 20:15:00Z",
    "2023-02-29T00:00:00Z",
    "2024-13-01T00:00:00Z",
    "2024-06-02T24:00:00Z",
    "2024-06-02T20:15:60Z",
    "2024-06-02T20:15:00+15:00",
    "2024-06-02T20:15:00-0600",
    "2024-06-02t20:15:00z",
    "",
    " 2024-06-02T20:15:00Z",
  ])("refuses %j with TIME_INVALID", (s) => {
    expect(codeOf(() => parseIsoWithOffset(s, "corte"))).toBe("TIME_INVALID");
  });

  it("formats with an offset and round-trips", () => {
    const d = new Date("2024-06-03T02:15:00Z");
    expect(formatIsoOffset(d, -360)).toBe("2024-06-02T20:15:00-06:00");
    expect(formatIsoOffset(d, 0)).toBe("2024-06-03T02:15:00Z");
    expect(formatIsoOffset(new Date("2024-06-03T02:15:00.250Z"), 330)).toBe("2024-06-03T07:45:00.250+05:30");
    for (const off of [-720, -360, -300, 0, 60, 345, 840]) expect(parseIsoWithOffset(formatIsoOffset(d, off), "t").getTime()).toBe(d.getTime());
    expect(codeOf(() => formatIsoOffset(d, 1000))).toBe("TIME_INVALID");
  });
});
