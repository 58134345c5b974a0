export * from "./types";
export * from "./auth";
export * from "./receipt";
export * from "./notice";
export * from "./payload";
export * from "./frame-reader";
export * from "./receiver-session";
export * from "./publisher-session";
