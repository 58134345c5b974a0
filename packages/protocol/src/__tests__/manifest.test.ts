import { canonicalize, createManifest, parseManifest, sha256Hex } from "../index";
import { codeOf, errorOf, fileEntry, manifestInput } from "./helpers";

function rewrite(bytes: Buffer, change: (m: Record<string, unknown>) => void): Buffer {
  const m = JSON.parse(bytes.toString());
  change(m);
  return Buffer.from(canonicalize(m));
}

describe("manifest", () => {
  const bytes = createManifest(manifestInput());

  it("createManifest sorts files by UTF-8 bytes and sums totalSize", () => {
    const m = parseManifest(bytes);
    expect(m.format).toBe("prepcast/manifest@1");
    expect(m.files.map((f) => f.path)).toEqual(["datos/presidencia.csv", "index.html"]);
    expect(m.totalSize).toBe(m.files[0]!.size + m.files[1]!.size);
    expect(m.notBefore).toBe(m.createdAt);
    expect(m.files[1]!.sha256).toBe(sha256Hex("<h1>PREP</h1>\n"));
  });

  it("orders by UTF-8 bytes, not UTF-16 units", () => {
    // U+FF5E (EF BD 9E) sorts before U+1F600 (F0 9F 98 80) in UTF-8, after it in UTF-16
    const m = parseManifest(createManifest(manifestInput({ files: [fileEntry("😀", "a"), fileEntry("～", "b")] })));
    expect(m.files.map((f) => f.path)).toEqual(["～", "😀"]);
  });

  it("defaults expires to 30 days after createdAt", () => {
    const m = parseManifest(createManifest({ ...manifestInput(), expires: undefined, createdAt: "2024-06-01T00:00:00Z" }));
    expect(m.expires).toBe("2024-07-01T00:00:00Z");
  });

  it("a retraction is an optional field: without it the bytes are as before, with it the reason is signed", () => {
    expect(bytes.toString()).not.toContain("retraction");
    const r = createManifest(manifestInput({ retraction: { reason: "el corte 5 tenía actas de otra elección" } }));
    expect(parseManifest(r).retraction).toEqual({ reason: "el corte 5 tenía actas de otra elección" });
    expect(r.toString()).toContain('"retraction":{"reason":"el corte 5 tenía actas de otra elección"}');
  });

  it("a final cut is an optional field: without it the bytes are as before, with it the end of publication is signed", () => {
    expect(bytes.toString()).not.toContain("final");
    const m = manifestInput();
    const f = createManifest({ ...m, final: { publishUntil: "2024-06-09T23:59:00-06:00" } });
    expect(parseManifest(f).final).toEqual({ publishUntil: "2024-06-09T23:59:00-06:00" });
    expect(f.toString()).toContain('"final":{"publishUntil":"2024-06-09T23:59:00-06:00"}');
    // without expires, a final cut stays valid at least until the end of publication
    const long = parseManifest(
      createManifest({
        ...m,
        expires: undefined,
        createdAt: "2024-06-03T00:00:00Z",
        corte: "2024-06-02T23:45:00-06:00",
        final: { publishUntil: "2024-08-01T00:00:00-06:00" },
      }),
    );
    expect(long.expires).toBe("2024-08-01T00:00:00-06:00");
  });

  it.each([
    ["before the corte", { publishUntil: "2000-01-01T00:00:00Z" }, "MANIFEST_INVALID", /final\.publishUntil must be later than the cut's corte/],
    ["after expires", { publishUntil: "2999-01-01T00:00:00Z" }, "MANIFEST_INVALID", /final\.publishUntil must not be later than expires/],
    ["without an offset", { publishUntil: "2024-06-09T23:59:00" }, "TIME_INVALID", /publishUntil/],
  ])("refuses a final cut whose publishUntil is %s", (_name, final, code, message) => {
    const e = errorOf(() => createManifest(manifestInput({ final })));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    expect(codeOf(() => parseManifest(rewrite(bytes, (x) => (x.final = { publishUntil: "2024-06-09T23:59:00-06:00", by: "x" }))))).toBe("MANIFEST_INVALID");
  });

  it.each([
    ["empty", "", /must say why/],
    ["multi-line", "línea 1\nlínea 2", /one line of text/],
    ["padded", " motivo", /one line of text/],
    ["too long", "x".repeat(501), /at most 500 characters/],
  ])("refuses a retraction whose reason is %s (MANIFEST_INVALID)", (_name, reason, message) => {
    const e = errorOf(() => createManifest(manifestInput({ retraction: { reason } })));
    expect(e.code).toBe("MANIFEST_INVALID");
    expect(e.message).toMatch(/retraction\.reason/);
    expect(e.message).toMatch(message);
    expect(codeOf(() => parseManifest(rewrite(bytes, (m) => (m.retraction = { reason: "x", by: "someone" }))))).toBe("MANIFEST_INVALID");
  });

  it("accepts an empty file list with totalSize 0", () => {
    expect(parseManifest(createManifest(manifestInput({ files: [] }))).totalSize).toBe(0);
  });

  it.each([
    ["process lower-case", (m: Record<string, unknown>) => (m.process = "ver-2024"), /field process/],
    ["unknown channel", (m: Record<string, unknown>) => (m.channel = "pruebas"), /field channel/],
    ["sequence 0", (m: Record<string, unknown>) => (m.sequence = 0), /field sequence/],
    ["corte without offset", (m: Record<string, unknown>) => (m.corte = "2024-06-02T20:15:00"), /field corte timestamp/],
    ["corte date only", (m: Record<string, unknown>) => (m.corte = "2024-06-02"), /field corte/],
    ["an impossible date", (m: Record<string, unknown>) => (m.createdAt = "2024-02-30T00:00:00Z"), /day 30 does not exist/],
    ["a negative size", (m: Record<string, unknown>) => ((m.files as Array<Record<string, unknown>>)[0]!.size = -1), /field files\.0\.size/],
    ["an upper-case hash", (m: Record<string, unknown>) => ((m.files as Array<Record<string, unknown>>)[0]!.sha256 = "A".repeat(64)), /field files\.0\.sha256/],
    ["an unknown field", (m: Record<string, unknown>) => (m.comment = "x"), /Unrecognized key/],
    [
      "an unknown field in a file entry",
      (m: Record<string, unknown>) => ((m.files as Array<Record<string, unknown>>)[1]!.mode = 420),
      /field files\.1 has an unrecognized key "mode"/,
    ],
    [
      "a file entry without its hash",
      (m: Record<string, unknown>) => delete (m.files as Array<Record<string, unknown>>)[0]!.sha256,
      /field files\.0\.sha256 must be 64 lower-case hex digits/,
    ],
    [
      "a path that is not a string",
      (m: Record<string, unknown>) => ((m.files as Array<Record<string, unknown>>)[0]!.path = 7),
      /field files\.0\.path must be a string/,
    ],
    [
      "a size written as a string",
      (m: Record<string, unknown>) => ((m.files as Array<Record<string, unknown>>)[0]!.size = "12"),
      /field files\.0\.size must be a whole number/,
    ],
    ["a file entry that is not an object", (m: Record<string, unknown>) => ((m.files as unknown[])[0] = "index.html"), /field files\.0 must be an object/],
    [
      "a file entry that is an array",
      (m: Record<string, unknown>) => ((m.files as unknown[])[0] = ["index.html", 1, "0".repeat(64)]),
      /field files\.0 must be an object/,
    ],
    ["a missing field", (m: Record<string, unknown>) => delete m.notBefore, /field notBefore/],
    ["a wrong totalSize", (m: Record<string, unknown>) => (m.totalSize = (m.totalSize as number) + 1), /totalSize is \d+ but the files add up to \d+ bytes/],
    ["files out of order", (m: Record<string, unknown>) => (m.files as unknown[]).reverse(), /must be sorted/],
    [
      "a duplicate file",
      (m: Record<string, unknown>) => {
        const files = m.files as unknown[];
        files.splice(1, 0, files[0]);
        m.totalSize = (m.totalSize as number) + (files[0] as { size: number }).size;
      },
      /without duplicates/,
    ],
    ["expires before notBefore", (m: Record<string, unknown>) => (m.notBefore = "2025-01-01T00:00:00Z"), /must be later than notBefore/],
  ])("refuses %s (MANIFEST_INVALID, naming the field)", (_label, change, message) => {
    const e = errorOf(() => parseManifest(rewrite(bytes, change)));
    expect(e.code).toBe("MANIFEST_INVALID");
    expect(e.message).toMatch(message);
    expect(e.where).toMatch(/^prepcast\/manifest\.json/);
  });

  it("refuses unsafe paths with PATH_UNSAFE and colliding ones with PATH_COLLISION", () => {
    const unsafe = rewrite(bytes, (m) => ((m.files as Array<{ path: string }>)[0]!.path = "../etc/passwd"));
    const e = errorOf(() => parseManifest(unsafe));
    expect(e.code).toBe("PATH_UNSAFE");
    expect(e.where).toBe("prepcast/manifest.json#files.0.path");
    expect(codeOf(() => createManifest(manifestInput({ files: [fileEntry("Index.html", "a"), fileEntry("index.html", "b")] })))).toBe("PATH_COLLISION");
    expect(codeOf(() => createManifest(manifestInput({ files: [fileEntry("datos", "a"), fileEntry("datos/x.csv", "b")] })))).toBe("PATH_COLLISION");
  });

  it("refuses non-canonical bytes even when the content is valid", () => {
    expect(codeOf(() => parseManifest(Buffer.from(bytes.toString().replace('"channel":', '"channel": '))))).toBe("NOT_CANONICAL");
    expect(codeOf(() => parseManifest(Buffer.concat([bytes, Buffer.from("\n")])))).toBe("NOT_CANONICAL");
  });

  it("createManifest refuses what a verifier would refuse", () => {
    expect(codeOf(() => createManifest(manifestInput({ corte: "ayer" })))).toBe("MANIFEST_INVALID");
    expect(codeOf(() => createManifest(manifestInput({ files: [{ path: "a", size: 1.5, sha256: "0".repeat(64) }] })))).toBe("NOT_CANONICAL");
    expect(codeOf(() => createManifest(manifestInput({ expires: "2024-06-01" })))).toBe("TIME_INVALID");
  });
});
