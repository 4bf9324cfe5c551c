// Common flags and error handling for client commands: --master / MESO_MASTER, --json, one-line errors with the
// exit codes scripts rely on (docs/cli.md).

import { Command, Flags } from '@oclif/core'

export const masterFlag = Flags.string({ description: 'master URL (default: $MESO_MASTER, ~/.meso/config.toml, http://127.0.0.1:5050)', helpValue: 'URL' })
export const jsonFlag = Flags.boolean({ description: 'print JSON instead of a table' })

export abstract class ClientCommand extends Command {
  /** Runs the body; CliErrors become `error: …` on stderr with their exit code, never a stack trace. */
  protected async guard(body: () => Promise<number | void>): Promise<void> {
    let code: number | void
    try {
      code = await body()
    } catch (err) {
      const { CliError } = await import('../client/cluster.ts')
      if (process.env.MESO_DEBUG === '1' && err instanceof Error) process.stderr.write(`${err.stack}\n`)
      const e = err as Error
      process.stderr.write(`error: ${e.message}\n`)
      process.exitCode = err instanceof CliError ? err.exitCode : 1
      return
    }
    if (typeof code === 'number') process.exitCode = code
  }
}
