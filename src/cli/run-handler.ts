// Runs a command body with the CLI's error conventions (docs/cli.md): CliErrors become one `error: …` line with
// their exit code, anything else exit 1; never a stack trace unless MESO_DEBUG=1. Shared by the oclif commands and
// the fast path, and free of oclif imports.

import { EXIT } from '../client/exit-codes.ts'

export async function runHandler(body: () => Promise<number | void>): Promise<void> {
  let code: number | void
  try {
    code = await body()
  } catch (err) {
    const e = err as Error & { exitCode?: number }
    if (process.env.MESO_DEBUG === '1' && e?.stack) process.stderr.write(`${e.stack}\n`)
    process.stderr.write(`error: ${e?.message ?? String(err)}\n`)
    process.exitCode = typeof e?.exitCode === 'number' ? e.exitCode : EXIT.FAILED
    return
  }
  if (typeof code === 'number') process.exitCode = code
}
