import fc from "fast-check";
import * as nodePath from "node:path";
import { assertNoCollisions, collisionKey, compareUtf8, sitePathIn, validateSitePath } from "../index";
import { codeOf, errorOf } from "./helpers";

/** The rule, restated independently of the implementation. */
function ruleHolds(p: string): boolean {
  if (p.length === 0 || p.startsWith("/") || p.includes("\\")) return false;
  for (const ch of p) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c === 0x7f) return false;
    if (c >= 0xd800 && c <= 0xdfff) return false; // lone surrogate
  }
  if (p.normalize("NFC") !== p) return false;
  if (new TextEncoder().encode(p).length > 4096) return false;
  return p.split("/").every((s) => s !== "" && s !== "." && s !== ".." && new TextEncoder().encode(s).length <= 255);
}

describe("validateSitePath", () => {
  it.each(["index.html", "datos/presidencia.csv", "a/b/c/d.json", "sección/índice.html", ".well-known/x", "..a/b..", "a b/c", "日本/語.txt", "x".repeat(255)])(
    "accepts %j",
    (p) => {
      expect(() => validateSitePath(p)).not.toThrow();
    },
  );

  it.each([
    ["empty", ""],
    ["absolute", "/etc/passwd"],
    ["dot-dot", "../x"],
    ["inner dot-dot", "a/../../x"],
    ["dot", "a/./b"],
    ["empty segment", "a//b"],
    ["trailing slash", "a/"],
    ["backslash", "a\\b"],
    ["windows escape", "..\\..\\x"],
    ["NUL", "a\u0000b"],
    ["newline", "a\nb"],
    ["tab", "a\tb"],
    ["DEL", "a\u007fb"],
    ["decomposed (NFD)", "seccio\u0301n.html"],
    ["a lone surrogate", "a\ud800.html"],
    ["a 256-byte segment", "x".repeat(256)],
    ["a segment of 128 two-byte characters", "ñ".repeat(128)],
    ["a path over 4096 bytes", Array.from({ length: 20 }, () => "y".repeat(250)).join("/")],
  ])("refuses %s with PATH_UNSAFE", (_label, p) => {
    const e = errorOf(() => validateSitePath(p, "manifest#files.3.path"));
    expect(e.code).toBe("PATH_UNSAFE");
    expect(e.where).toBe("manifest#files.3.path");
    expect(e.message.length).toBeLessThan(400);
  });

  it("accepts exactly 4096 bytes", () => {
    const p = Array.from({ length: 17 }, () => "z".repeat(240)).join("/");
    expect(Buffer.byteLength(p)).toBe(4096);
    expect(() => validateSitePath(p)).not.toThrow();
    expect(codeOf(() => validateSitePath(`${p}z`))).toBe("PATH_UNSAFE");
  });

  const interesting = fc.constantFrom(
    "a",
    "B",
    "z",
    "/",
    ".",
    "..",
    "\\",
    "\u0000",
    "\u001f",
    "\u007f",
    " ",
    "é",
    "e\u0301",
    "ﬁ",
    "Ä",
    "\ud800",
    "\udc00",
    "😀",
    "~",
    "-",
  );
  it("accepts a random string iff the rule predicate holds", () => {
    fc.assert(
      fc.property(
        fc.array(interesting, { maxLength: 12 }).map((parts) => parts.join("")),
        (p) => {
          let outcome = "accepted";
          try {
            validateSitePath(p);
          } catch (e) {
            outcome = (e as { code: string }).code;
          }
          expect(outcome).toBe(ruleHolds(p) ? "accepted" : "PATH_UNSAFE");
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("agrees with the predicate on lengths around the limits", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 }), fc.constantFrom("a", "ñ", "語"), (lengths, ch) => {
        const p = lengths.map((n) => ch.repeat(Math.ceil(n / Buffer.byteLength(ch)))).join("/");
        let accepted = true;
        try {
          validateSitePath(p);
        } catch {
          accepted = false;
        }
        expect(accepted).toBe(ruleHolds(p));
      }),
      { numRuns: 300 },
    );
  });
});

describe("collisions", () => {
  it("collisionKey folds case and compatibility forms", () => {
    expect(collisionKey("Index.HTML")).toBe(collisionKey("index.html"));
    expect(collisionKey("ﬁle")).toBe(collisionKey("file")); // NFKD ligature
    expect(collisionKey("straße")).toBe(collisionKey("STRASSE")); // full case fold
    expect(collisionKey("é")).toBe(collisionKey("e\u0301"));
    expect(collisionKey("a")).not.toBe(collisionKey("b"));
  });

  it("names both paths", () => {
    const e = errorOf(() => assertNoCollisions(["datos/A.csv", "x", "datos/a.csv"], "manifest#files"));
    expect(e.code).toBe("PATH_COLLISION");
    expect(e.message).toContain('"datos/A.csv"');
    expect(e.message).toContain('"datos/a.csv"');
  });

  it("refuses a path used both as a file and as a directory, also across case", () => {
    expect(codeOf(() => assertNoCollisions(["a", "a/b"]))).toBe("PATH_COLLISION");
    expect(codeOf(() => assertNoCollisions(["Datos", "datos/x.csv"]))).toBe("PATH_COLLISION");
    expect(() => assertNoCollisions(["a/b", "a/c", "ab"])).not.toThrow();
  });

  it("property: any valid path collides with its upper-cased and NFKD-variant twins", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("a", "b", "ñ", "ß", "ﬁ", "/", "x", "É"), { minLength: 1, maxLength: 10 }).map((p) => p.join("")),
        (p) => {
          fc.pre(ruleHolds(p));
          const upper = p.toUpperCase();
          if (upper !== p) expect(codeOf(() => assertNoCollisions([p, upper]))).toBe("PATH_COLLISION");
          expect(codeOf(() => assertNoCollisions([p, p]))).toBe("PATH_COLLISION");
        },
      ),
      { numRuns: 500 },
    );
  });

  it("property: distinct lower-case ASCII file names in one directory never collide", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[a-z0-9]{1,8}$/), { maxLength: 30 }), (names) => {
        expect(() => assertNoCollisions(names.map((n) => `dir/${n}.json`))).not.toThrow();
      }),
    );
  });
});

describe("the printable-ASCII fast path decides as the full Unicode rules do", () => {
  const fullCollisionKey = (p: string) => p.normalize("NFKD").toUpperCase().toLowerCase().normalize("NFKD");
  // the slow path, written out: what sitePathProblem answered before the fast path existed
  const fullProblemFree = (p: string) =>
    p.length > 0 &&
    !/\p{Surrogate}/u.test(p) &&
    !p.startsWith("/") &&
    !p.includes("\\") &&
    !/[\u0000-\u001f\u007f]/.test(p) && // eslint-disable-line no-control-regex
    p.normalize("NFC") === p &&
    Buffer.byteLength(p) <= 4096 &&
    p.split("/").every((s) => s !== "" && s !== "." && s !== ".." && Buffer.byteLength(s) <= 255);

  it("on random ASCII and non-ASCII strings (collision key and acceptance)", () => {
    const chars = fc.oneof(
      fc.constantFrom("a", "Z", "/", ".", "-", "_", "\\", " ", "~", "\u007f", "\u0000", "é", "e\u0301", "ﬁ", "K", "ß"),
      fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
      fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }),
    );
    fc.assert(
      fc.property(
        fc.array(chars, { maxLength: 40 }).map((a) => a.join("")),
        (p) => {
          expect(collisionKey(p)).toBe(fullCollisionKey(p));
          let ok = true;
          try {
            validateSitePath(p);
          } catch {
            ok = false;
          }
          expect(ok).toBe(fullProblemFree(p));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("long ASCII segments and paths are measured in bytes as before", () => {
    expect(() => validateSitePath("a".repeat(255))).not.toThrow();
    expect(codeOf(() => validateSitePath("a".repeat(256)))).toBe("PATH_UNSAFE");
    expect(codeOf(() => validateSitePath(`${"a".repeat(200)}/`.repeat(21).slice(0, -1)))).toBe("PATH_UNSAFE");
    expect(codeOf(() => validateSitePath("é".repeat(128)))).toBe("PATH_UNSAFE"); // 256 bytes in UTF-8
  });
});

describe("sitePathIn", () => {
  it("is path.resolve(staging, 'site', ...segments) for every valid path, whichever staging directory came before", () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_é -]{1,12}$/).filter((s) => s !== "." && s !== "..");
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("/srv/a/staging/x1", "/srv/b/staging/x2", "relative/dir"), fc.array(segment, { minLength: 1, maxLength: 5 })), {
          minLength: 1,
          maxLength: 20,
        }),
        (calls) => {
          for (const [dir, segs] of calls) {
            const p = segs.join("/").normalize("NFC");
            expect(sitePathIn(dir, p)).toBe(nodePath.resolve(dir, "site", ...p.split("/")));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("still refuses unsafe paths under a cached staging directory", () => {
    expect(sitePathIn("/srv/a/staging/x1", "ok.json")).toBe("/srv/a/staging/x1/site/ok.json");
    for (const bad of ["../x", "a/../../x", "/etc/passwd", "a//b", "a\\b", "./a"])
      expect(codeOf(() => sitePathIn("/srv/a/staging/x1", bad))).toBe("PATH_UNSAFE");
  });
});

describe("compareUtf8", () => {
  const sign = (n: number) => Math.sign(n);
  // code points from every UTF-8 length class, with U+E000-U+FFFF and astral ones (surrogate pairs)
  // side by side: where UTF-16 order and UTF-8 order disagree
  const unit = fc.oneof(
    fc.constantFrom("a", "b", "/", ".", "~", "\u007f", "ñ", "\u07ff", "\u0800", "\ud7ff", "\ue000", "\uffff", "😀", "\u{10000}", "\u{10ffff}"),
    fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  );
  const str = fc.array(unit, { maxLength: 12 }).map((a) => a.join(""));

  it("orders any two well-formed strings exactly as their UTF-8 bytes", () => {
    fc.assert(
      fc.property(str, str, (a, b) => {
        expect(sign(compareUtf8(a, b))).toBe(sign(Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"))));
        expect(sign(compareUtf8(a + b, a))).toBe(b.length > 0 ? 1 : 0);
      }),
      { numRuns: 3000 },
    );
  });

  it("puts U+E000-U+FFFF before astral characters, unlike UTF-16 order", () => {
    expect(compareUtf8("\uffff", "😀")).toBeLessThan(0);
    expect("\uffff" < "😀").toBe(false); // what a plain string comparison would say
    expect(compareUtf8("a/ñ", "a/z")).toBeGreaterThan(0);
    expect(compareUtf8("x", "x")).toBe(0);
  });
});
