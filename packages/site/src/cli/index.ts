// The receiver CLI's site subcommands, as plain functions (no commander dependency) so
// apps/receiver wires them in a few lines; registerSiteCommands does exactly that for commander 14.
//   prep-receiver serve --root DIR [--listen HOST:PORT] [--workers N] [--analytics FILE|--no-analytics] [--admin HOST:PORT] ...
//   prep-receiver report --from ISO --to ISO --out DIR [--root DIR] [--db FILE] [--audit-log FILE] [--difusor NAME]
//   prep-receiver ingest-logs FILE... [--root DIR | --db FILE] [--force]
//   prep-receiver ingest-logs --follow FILE [--root DIR | --db FILE]   (until SIGTERM)
//   prep-receiver verify-site URL --trust ROOT.pub [--sample N]
// Every command returns its exit code; errors are printed with reportCliError (code, where, hint).
export * from "./serve";
export * from "./report";
export * from "./ingest-logs";
export * from "./verify-site";
export * from "./register";
