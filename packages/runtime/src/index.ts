export * from "./config";
export * from "./logger";
export * from "./admin-server";
export * from "./cli-support";
export * from "./release-cli";
export * from "./service-commands";
