// What a command handler receives: the flags and arguments of its oclif class, typed from the class's static
// definitions (a type-only import, so handlers still load without oclif), and the positional argv as strings.

import type { Interfaces } from '@oclif/core'

export interface ParsedCommand<F = Record<string, unknown>, A = Record<string, string | undefined>> {
  flags: F
  args: A
  argv: string[]
}

/** The parsed shape of oclif command class C (`ParsedFor<typeof TaskRun>`). */
export type ParsedFor<C extends { flags: Interfaces.FlagInput; args: Interfaces.ArgInput }> =
  ParsedCommand<Interfaces.InferredFlags<C['flags']>, Interfaces.InferredArgs<C['args']>>

/** A handler module: `execute(parsed)` returns the exit code (or nothing for 0). */
export interface Handler<P extends ParsedCommand<unknown, unknown> = ParsedCommand> {
  // Method syntax on purpose: the fast path hands every handler the manifest parser's untyped result, which
  // parseArgv produced from the same flag definitions the handler's type is inferred from.
  execute(parsed: P): Promise<number | void>
}
