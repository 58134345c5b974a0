// The trust core: strict Ed25519, canonical JSON, key files, signatures, keyset and manifest, the
// trust state a cut is checked against, signed releases, the publisher's key directory, and a
// difusor's signed registration.
export * from "./canonical-json";
export * from "./ed25519";
export * from "./keys";
export * from "./signing";
export * from "./keyset";
export * from "./root";
export * from "./root-files";
export * from "./root-update";
export * from "./root-lifecycle";
export * from "./manifest";
export * from "./trust";
export * from "./release";
export * from "./publisher-keys";
export * from "./registration";
export * from "./keyset-lifecycle";
