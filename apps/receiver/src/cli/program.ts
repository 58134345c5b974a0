import { InvalidArgumentError } from "commander";

export { cliAction as action, runCliProgram as runProgram } from "@prepcast/protocol";

export function positiveInteger(value: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError("must be a positive integer");
  return Number(value);
}

export function positiveIntegerOrZero(value: string): number {
  if (!/^(0|[1-9][0-9]{0,5})$/.test(value)) throw new InvalidArgumentError("must be a non-negative integer");
  return Number(value);
}
