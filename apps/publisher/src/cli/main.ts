export function main(argv: string[]): void {
  void argv;
  process.stdout.write("prep-publisher: not yet implemented\n");
}
