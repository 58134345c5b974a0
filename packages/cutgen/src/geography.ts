// The synthetic electoral geography and every acta's fate, derived once per (seed, scale) and kept
// in typed arrays so that a national night (490,000 actas) stays a few tens of megabytes.
import { deriveSeed, mulberry32, pseudoRandomBytes } from "./random";

export type Scale = "small" | "veracruz" | "national";

export interface ScaleSpec {
  sections: number;
  districts: number;
  elections: string[];
  /** Name of the ENTIDAD column and of the entity the site reports on. */
  entity: string;
}

export const SCALES: Readonly<Record<Scale, ScaleSpec>> = {
  small: { sections: 220, districts: 4, elections: ["GUB"], entity: "VERACRUZ" },
  veracruz: { sections: 4800, districts: 30, elections: ["GUB", "DIP_LOC"], entity: "VERACRUZ" },
  national: { sections: 71000, districts: 300, elections: ["PRES", "SEN", "DIP_FED"], entity: "NACIONAL" },
};

export const PARTIES = ["PAN", "PRI", "PRD", "PVEM", "PT", "MC", "MORENA", "PAN_PRI_PRD", "PVEM_PT_MORENA", "CAND_IND_1"] as const;

const STATES = [
  "AGUASCALIENTES",
  "BAJA CALIFORNIA",
  "BAJA CALIFORNIA SUR",
  "CAMPECHE",
  "COAHUILA",
  "COLIMA",
  "CHIAPAS",
  "CHIHUAHUA",
  "CIUDAD DE MEXICO",
  "DURANGO",
  "GUANAJUATO",
  "GUERRERO",
  "HIDALGO",
  "JALISCO",
  "MEXICO",
  "MICHOACAN",
  "MORELOS",
  "NAYARIT",
  "NUEVO LEON",
  "OAXACA",
  "PUEBLA",
  "QUERETARO",
  "QUINTANA ROO",
  "SAN LUIS POTOSI",
  "SINALOA",
  "SONORA",
  "TABASCO",
  "TAMAULIPAS",
  "TLAXCALA",
  "VERACRUZ",
  "YUCATAN",
  "ZACATECAS",
];

/** Capture progress time constant, in cuts (4 hours): most actas arrive early, a long tail late. */
const TAU_CUTS = 16;
/** Share of actas captured during the PREP; the rest never arrive. */
const CAPTURED_SHARE = 0.97;
/** Cut number meaning "never". */
export const NEVER = 0x7fffffff;

export interface ElectionActas {
  name: string;
  /** First cut in which the acta's row appears (acopio). */
  registered: Int32Array;
  /** First cut in which its votes are filled in (captura). */
  captured: Int32Array;
  /** Seconds of jitter for the acopio / captura timestamps, so rows do not all share a minute. */
  jitter: Uint8Array;
  /** PARTIES.length vote counts per acta. */
  counts: Uint16Array;
  nulos: Uint8Array;
  /** Size of the acta's scan, in bytes. */
  scanBytes: Int32Array;
  /** 32 bytes per acta: the SHA column. */
  sha: Buffer;
}

export interface Geography {
  scale: Scale;
  spec: ScaleSpec;
  seed: number;
  /** Casillas are ordered by section; casillas of section s are sectionStart[s-1] .. sectionStart[s]-1. */
  sectionStart: Int32Array;
  casillaCount: number;
  district: Int32Array;
  entityId: Uint8Array;
  casillaId: Uint8Array;
  tipo: string[];
  clave: string[];
  lista: Int32Array;
  elections: ElectionActas[];
}

export function entityName(spec: ScaleSpec, entityId: number): string {
  return spec.entity === "NACIONAL" ? STATES[entityId - 1] : spec.entity;
}

function firstCutOfExponentialArrival(u: number): number {
  return 1 + Math.floor(-TAU_CUTS * Math.log(1 - u));
}

function buildGeography(scale: Scale, seed: number): Geography {
  const spec = SCALES[scale];
  const geo = mulberry32(deriveSeed(seed, scale, "geo"));
  const perSection = new Uint8Array(spec.sections);
  let total = 0;
  for (let s = 0; s < spec.sections; s++) {
    perSection[s] = 1 + Math.floor(geo() * 3.6); // 1..4 casillas, about 2.3 on average
    total += perSection[s];
  }
  const sectionStart = new Int32Array(spec.sections + 1);
  const district = new Int32Array(total);
  const entityId = new Uint8Array(total);
  const casillaId = new Uint8Array(total);
  const tipo: string[] = new Array<string>(total);
  const clave: string[] = new Array<string>(total);
  const lista = new Int32Array(total);
  const arrival = new Float64Array(total);
  let i = 0;
  for (let s = 1; s <= spec.sections; s++) {
    sectionStart[s - 1] = i;
    const d = 1 + Math.floor(((s - 1) * spec.districts) / spec.sections);
    const ent = spec.entity === "NACIONAL" ? 1 + Math.floor(((d - 1) * STATES.length) / spec.districts) : 30;
    for (let c = 0; c < perSection[s - 1]; c++, i++) {
      const t = c === 0 ? "B" : c < 3 ? "C" : "E";
      const id = c === 0 ? 1 : c;
      district[i] = d;
      entityId[i] = ent;
      casillaId[i] = id;
      tipo[i] = t;
      clave[i] = `${String(ent).padStart(2, "0")}${String(s).padStart(5, "0")}${t}${String(id).padStart(2, "0")}`;
      lista[i] = 300 + Math.floor(geo() * 450);
      arrival[i] = geo(); // one packet per casilla: all its actas travel together
    }
  }
  sectionStart[spec.sections] = total;

  const elections = spec.elections.map((name): ElectionActas => {
    const r = mulberry32(deriveSeed(seed, scale, "actas", name));
    const e: ElectionActas = {
      name,
      registered: new Int32Array(total),
      captured: new Int32Array(total),
      jitter: new Uint8Array(total * 2),
      counts: new Uint16Array(total * PARTIES.length),
      nulos: new Uint8Array(total),
      scanBytes: new Int32Array(total),
      sha: pseudoRandomBytes(total * 32, seed, scale, "sha", name),
    };
    const weights = new Float64Array(PARTIES.length);
    for (let a = 0; a < total; a++) {
      const u = arrival[a];
      if (u < CAPTURED_SHARE) {
        const base = firstCutOfExponentialArrival(u / CAPTURED_SHARE);
        e.captured[a] = base + Math.floor(r() * 3);
        e.registered[a] = Math.max(1, e.captured[a] - 1 - (r() < 0.3 ? 1 : 0));
      } else {
        // Never captured; half of these packets still reach a CATD and show up as empty rows.
        e.captured[a] = NEVER;
        e.registered[a] = r() < 0.5 ? firstCutOfExponentialArrival(r()) : NEVER;
      }
      e.jitter[2 * a] = Math.floor(r() * 60);
      e.jitter[2 * a + 1] = Math.floor(r() * 60);
      const turnout = 0.45 + r() * 0.3;
      let sum = 0;
      for (let p = 0; p < PARTIES.length; p++) sum += weights[p] = r();
      const votes = Math.floor(lista[a] * turnout);
      for (let p = 0; p < PARTIES.length; p++) e.counts[a * PARTIES.length + p] = Math.floor((weights[p] / sum) * votes);
      e.nulos[a] = Math.floor(r() * 12);
      e.scanBytes[a] = 60_000 + Math.floor(r() * 190_000);
    }
    return e;
  });
  return { scale, spec, seed, sectionStart, casillaCount: total, district, entityId, casillaId, tipo, clave, lista, elections };
}

let cached: Geography | undefined;

/** The geography for (scale, seed); the last one is cached, since a series asks for it every cut. */
export function geography(scale: Scale, seed: number): Geography {
  if (!cached || cached.scale !== scale || cached.seed !== seed) cached = buildGeography(scale, seed);
  return cached;
}
