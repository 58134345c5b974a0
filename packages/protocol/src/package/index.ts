export * from "./format";
export * from "./tar-guard";
export * from "./verified-file";
export * from "./payload";
export * from "./publisher-keys";
export * from "./writer";
export * from "./reader";
export * from "./cli-report";
