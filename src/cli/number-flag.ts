// Number-valued flags (`--cpus 0.5`): what they accept, shared by the oclif flag (src/commands/base.ts) and the
// fast-path parser (argv.ts) so both read the same values as the same numbers.

import { EXIT } from '../client/exit-codes.ts'

/** A decimal number ('0.5', '64', '1e3', surrounding blanks allowed); undefined for anything else. */
export function parseDecimal(raw: string): number | undefined {
  const s = raw.trim()
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? Number(s) : undefined
}

/**
 * A flag value that is not what the flag takes. oclif rewrites the message of errors its flag parsers throw
 * ("Parsing --cpus …"); src/main.ts prints `reason`, the sentence written for the user, and exits 2.
 */
export class FlagValueError extends Error {
  readonly exitCode = EXIT.USAGE
  constructor(readonly reason: string) { super(reason) }
}
