export * from "./durable";
export * from "./cut-store";
export * from "./install";
