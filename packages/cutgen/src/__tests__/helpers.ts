import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh temporary directory, removed after the test file. */
export function tempDirs(): () => string {
  const made: string[] = [];
  afterAll(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), "prepcast-testkit-"));
    made.push(d);
    return d;
  };
}

/** Parses one generated CSV: header counters and rows keyed by CLAVE_ACTA. */
export function parseGeneratedCsv(text: string): { counters: Record<string, string>; columns: string[]; rows: Map<string, string[]> } {
  const lines = text.split("\r\n");
  expect(lines[lines.length - 1]).toBe("");
  const names = lines[2].split("|");
  const values = lines[3].split("|");
  const counters = Object.fromEntries(names.map((n, i) => [n, values[i]]));
  const columns = lines[4].split("|");
  const rows = new Map<string, string[]>();
  for (const line of lines.slice(5, -1)) {
    const cells = line.split("|");
    expect(cells).toHaveLength(columns.length);
    rows.set(cells[1], cells);
  }
  return { counters, columns, rows };
}
