// What the CLIs print: result tables and error reports.
export * from "./cli-report";
