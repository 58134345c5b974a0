// The receiver's cut store: the state directory's layout, state.json, the store with its crash
// recovery, activation (staging -> live), the offline install path, read-only views, the lock.
export * from "../durable";
export * from "./layout";
export { STORE_STATE_FORMAT, cutIdOf, type CutRecord, type StoreState } from "./state-file";
export * from "./cut-store";
export { activateOrStage, activatePending } from "./activation";
export * from "./install";
export * from "./inspect";
export * from "./state-lock";
