import * as fs from "node:fs";
import * as path from "node:path";
import { ERROR_CATEGORIES, ERROR_CODES, errorCategory, isErrorCode, type ErrorCategory, type ErrorCode } from "../errors";

describe("error vocabulary", () => {
  const byCategory = Object.entries(ERROR_CATEGORIES) as Array<[ErrorCategory, Record<string, string>]>;

  test("every code is in exactly one category, with a one-line meaning, and ERROR_CODES is their union", () => {
    const seen = new Map<string, ErrorCategory>();
    for (const [category, codes] of byCategory) {
      for (const [code, meaning] of Object.entries(codes)) {
        expect({ code, already: seen.get(code) }).toEqual({ code, already: undefined });
        seen.set(code, category);
        expect(code).toMatch(/^[A-Z][A-Z0-9_]*$/);
        expect(meaning).toMatch(/^[A-Z].*\.$/);
        expect(meaning).not.toContain("\n");
      }
    }
    expect(Object.keys(ERROR_CODES).sort()).toEqual([...seen.keys()].sort());
    for (const [code, category] of seen) {
      expect(isErrorCode(code)).toBe(true);
      expect(errorCategory(code as ErrorCode)).toBe(category);
      expect(ERROR_CODES[code as ErrorCode]).toBe(ERROR_CATEGORIES[category][code as never]);
    }
    expect(isErrorCode("NOT_A_CODE")).toBe(false);
    expect(isErrorCode("toString")).toBe(false);
    expect(Object.isFrozen(ERROR_CODES)).toBe(true);
  });

  test("docs/protocol.md §11 names every category and mentions every code", () => {
    const doc = fs.readFileSync(path.join(__dirname, "../../../../docs/protocol.md"), "utf8");
    const section = doc.slice(doc.indexOf("## 11. Error codes"), doc.indexOf("## 12. "));
    for (const [category] of byCategory) expect(section).toContain(`\`${category}\``);
    for (const code of Object.keys(ERROR_CODES)) expect({ code, documented: section.includes(code) }).toEqual({ code, documented: true });
  });
});
