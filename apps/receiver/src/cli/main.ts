export function main(argv: string[]): void {
  void argv;
  process.stdout.write("prep-receiver: not yet implemented\n");
}
