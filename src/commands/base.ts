// Common flags for client commands: --master / MESO_MASTER and --json; bodies run through the shared error
// conventions (src/cli/run-handler.ts), the same whether oclif or the fast path starts them.

import { Command, Flags } from '@oclif/core'

export const masterFlag = Flags.string({ description: 'master URL (default: $MESO_MASTER, ~/.meso/config.toml, http://127.0.0.1:5050)', helpValue: 'URL' })
export const jsonFlag = Flags.boolean({ description: 'print JSON instead of a table' })

export abstract class ClientCommand extends Command {
  protected async guard(body: () => Promise<number | void>): Promise<void> {
    const { runHandler } = await import('../cli/run-handler.ts')
    await runHandler(body)
  }
}
