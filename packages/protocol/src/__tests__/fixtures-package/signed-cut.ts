// The package tests' OPLE: @prepcast/protocol/testing's FakeOple with random keys and times that
// never read the clock (keyset created 2024-05-01, expiring 2025-01-01; cut n cut at 20:n).
import { FakeOple, fixedClockTerms, tempDir as newTempDir, type FakeCut, type ManifestTerms } from "../../testing";
import type { Ed25519KeyPair } from "../../trust/ed25519";

export { packageEntries, readTree, writeFiles as writeCutDir } from "../../testing";

export type TestKeys = FakeOple;
export type TestCut = FakeCut;

export const NOW = new Date("2024-06-02T20:30:00-06:00");

export function makeKeys(): TestKeys {
  return new FakeOple({ keyset: { version: 1, createdAt: "2024-05-01T00:00:00Z", expires: "2025-01-01T00:00:00Z" }, cutDefaults: fixedClockTerms });
}

export function makeCut(
  keys: TestKeys,
  sequence: number,
  files: Record<string, string | Buffer>,
  extra: Pick<ManifestTerms, "notBefore" | "corte" | "retraction"> & { signWith?: Ed25519KeyPair } = {},
): TestCut {
  return keys.cut(sequence, files, extra);
}

export function tempDir(label: string): string {
  return newTempDir(`prepcast-${label}-`);
}
