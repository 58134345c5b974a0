export { cliAction as action, runCliProgram as runProgram } from "@prepcast/protocol";
export { positiveInteger, positiveIntegerOrZero } from "@prepcast/runtime";
