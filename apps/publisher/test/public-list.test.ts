// The "Difusores oficiales" page: untrusted SVG logos are checked and only ever referenced by
// <img src> under a content-hash name; suspended difusores lose their link.
import * as fs from "node:fs";
import * as path from "node:path";
import { isPrepcastError } from "@prepcast/protocol";
import { checkSvgLogo, MAX_LOGO_BYTES } from "../src/difusores/svg-logo";
import { formatCorteMx, writePublicList, type PublicListInput } from "../src/difusores/public-list";
import { tmpDir } from "./helpers";

const work = tmpDir("list");
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function logo(name: string, content: string | Buffer): string {
  const f = path.join(work, name);
  fs.writeFileSync(f, content);
  return f;
}

const GOOD = `<?xml version="1.0" encoding="UTF-8"?>
<!-- logo -->
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><title>UV &amp; más</title><rect width="10" height="10" fill="#003"/><path d="M0 0L10 10"/></svg>
`;

test("a plain SVG logo is accepted (rewritten by the allowlist: declaration and comment dropped, drawing intact) and named by its content", () => {
  const l = checkSvgLogo(logo("uv.svg", GOOD));
  expect(l.name).toMatch(/^[0-9a-f]{16}\.svg$/);
  expect(l.bytes.toString()).toBe(GOOD.split("\n")[2] + "\n");
});

test.each([
  ["png.svg", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe]), /not UTF-8/],
  ["html.svg", "<html><body>hola</body></html>", /root element is <html>/],
  ["text.svg", "hola", /text before the root element/],
  ["doctype.svg", '<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg"/>', /DOCTYPE/],
  ["unclosed.svg", '<svg xmlns="http://www.w3.org/2000/svg"><g>', /still open/],
  ["crossed.svg", '<svg xmlns="http://www.w3.org/2000/svg"><g></svg></g>', /not well-formed/],
  ["two.svg", '<svg xmlns="http://www.w3.org/2000/svg"/><svg xmlns="http://www.w3.org/2000/svg"/>', /more than one root/],
  ["nons.svg", "<svg><rect/></svg>", /lacks xmlns/],
  ["big.svg", `<svg xmlns="http://www.w3.org/2000/svg">${"<g/>".repeat(MAX_LOGO_BYTES / 4)}</svg>`, /more than the 102400 allowed/],
])("%s is refused with LOGO_INVALID naming the file", (name, content, why) => {
  const f = logo(name, content);
  let err: unknown;
  try {
    checkSvgLogo(f);
  } catch (e) {
    err = e;
  }
  expect(isPrepcastError(err, "LOGO_INVALID")).toBe(true);
  expect((err as Error).message).toContain(f);
  expect((err as Error).message).toMatch(why);
});

test("a missing logo file is a clear error", () => {
  expect(() => checkSvgLogo(path.join(work, "nope.svg"))).toThrow(/cannot be read \(ENOENT\)/);
});

const input = (over: Partial<PublicListInput> = {}): PublicListInput => ({
  title: "Difusores oficiales del PREP",
  process: "VER-2024",
  channel: "produccion",
  generatedAt: new Date("2024-06-03T02:20:00Z"),
  latest: { sequence: 2, corte: "2024-06-02T20:15:00-06:00" },
  difusores: [
    {
      id: "uv",
      name: "Universidad <Veracruzana>",
      publicUrl: "https://prep.uv.mx/",
      logo: logo("uv2.svg", GOOD),
      linkEnabled: true,
      corte: "2024-06-02T20:15:00-06:00",
    },
    {
      id: "diario",
      name: "Diario",
      publicUrl: "https://prep.diario.mx/",
      logo: logo("bad.svg", "<html/>"),
      linkEnabled: false,
      corte: "2024-06-02T20:00:00-06:00",
    },
    { id: "radio", name: "Radio", publicUrl: "javascript:alert(1)", logo: null, linkEnabled: true, corte: null },
  ],
  ...over,
});

test("the page links enabled difusores, disables suspended ones, shows the cut time, and never inlines a logo", async () => {
  const out = path.join(work, "out");
  const r = await writePublicList(out, input());
  const html = fs.readFileSync(r.html, "utf8");
  const json = JSON.parse(fs.readFileSync(r.json, "utf8")) as { difusores: Array<Record<string, unknown>>; latest: Record<string, unknown> };
  expect(html).toContain('<a href="https://prep.uv.mx/" rel="noopener noreferrer" target="_blank">');
  expect(html).toContain("Universidad &lt;Veracruzana&gt;");
  expect(html).toContain("Corte: 02/06/2024 20:15 (UTC-6)");
  expect(html).toMatch(/<li class="difusor deshabilitado" id="d-diario" aria-disabled="true">.*Enlace deshabilitado/);
  expect(html).not.toContain("prep.diario.mx");
  expect(html).not.toContain("javascript:");
  expect(html).not.toContain("<svg");
  expect(html).toContain("default-src 'none'");
  const logos = fs.readdirSync(path.join(out, "logos"));
  expect(logos).toHaveLength(1);
  expect(html).toContain(`<img src="logos/${logos[0]}"`);
  expect(r.logoErrors).toEqual([expect.objectContaining({ id: "diario", code: "LOGO_INVALID" })]);
  expect(json.latest).toMatchObject({ sequence: 2, corteLocal: "02/06/2024 20:15 (UTC-6)" });
  expect(json.difusores.map((d) => [d.id, d.enabled, d.url])).toEqual([
    ["uv", true, "https://prep.uv.mx/"],
    ["diario", false, null],
    ["radio", false, null],
  ]);
});

test("with strict logos (the difusores command) a bad logo stops the run and names the file", async () => {
  await expect(writePublicList(path.join(work, "out2"), input(), { strictLogos: true })).rejects.toThrow(/bad\.svg.*root element is <html>/);
});

test("drill lists say so", async () => {
  const r = await writePublicList(path.join(work, "out3"), input({ channel: "simulacro" }));
  expect(fs.readFileSync(r.html, "utf8")).toContain("SIMULACRO");
});

test("times are shown in central Mexico time", () => {
  expect(formatCorteMx("2024-06-03T02:15:00Z")).toBe("02/06/2024 20:15");
  expect(formatCorteMx("nonsense")).toBe("sin dato");
});
