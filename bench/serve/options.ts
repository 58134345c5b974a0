// The serving benchmark's command line (run.ts): wrk's load and the combinations measured.
export const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name);
  return i === -1 ? def : Number(process.argv[i + 1]);
};
export const DURATION = arg("--duration", 10);
export const CONNECTIONS = arg("--connections", 64);
export const THREADS = arg("--threads", 2);
export const ROUNDS = arg("--rounds", 3);
export const listArg = (name: string, def: string): string[] => {
  const i = process.argv.indexOf(name);
  return (i === -1 ? def : process.argv[i + 1]!)
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);
};
export const WORKER_COUNTS = listArg("--workers", "2,1").map(Number);
export const ANALYTICS_MODES = process.argv.includes("--no-analytics") ? [false] : listArg("--analytics", "on,off").map((v) => v === "on");
export const UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Safari/537.36";
