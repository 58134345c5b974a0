export * from "./durable";
export * from "./cut-store";
export * from "./install";
export * from "./state-lock";
