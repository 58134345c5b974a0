// The generator is @prepcast/cutgen; tests and benchmarks keep importing it from here.
export * from "@prepcast/cutgen";
// The fake OPLE (keys, keysets, signed cuts, packages, state layout, hostile tar and corpus).
export * from "@prepcast/protocol/testing";
export * from "./local-deployment";
export { docScript, docScriptFile, extractShellBlocks } from "./doc-script";
export type { DocBlock, DocScriptOptions } from "./doc-script";
export * from "./receiver-state";
export { readPdf } from "./pdf";
export type { PdfReadBack } from "./pdf";
export * from "./nginx";
export { writeReceiverDir } from "./receiver-dir";
export type { ReceiverDir, ReceiverDirOptions } from "./receiver-dir";
export { CHROMIUM, haveChromium, launchChromium } from "./chromium";
