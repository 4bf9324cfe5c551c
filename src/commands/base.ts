// The oclif side of the client commands: the flags several commands share, and ClientCommand, whose `handle` hands
// the parsed flags to the command's handler (src/cli/handlers/) under the shared error conventions
// (src/cli/run-handler.ts) — the same handler the fast path runs without oclif.

import { Command, Flags } from '@oclif/core'
import { FlagValueError, parseDecimal } from '../cli/number-flag.ts'
import type { Handler, ParsedCommand } from '../cli/parsed.ts'

export const masterFlag = Flags.string({ description: 'master URL (default: $MESO_MASTER, ~/.meso/config.toml, http://127.0.0.1:5050)', helpValue: 'URL' })
export const caCertFlag = Flags.string({ description: 'CA certificate (PEM) to trust for an https:// master and its agents (default: $MESO_CA_CERT)', helpValue: 'FILE' })
export const jsonFlag = Flags.boolean({ description: 'print JSON instead of a table' })
export const agentFlag = Flags.string({ description: 'act on this agent only (id, unique id prefix, or hostname); default: every agent', helpValue: 'ID' })
export const registryUserFlag = Flags.string({ description: 'registry user name (the password is read from stdin with --registry-password-stdin)', helpValue: 'USER' })
export const registryPasswordStdinFlag = Flags.boolean({ description: 'read the registry password from stdin' })

/**
 * A number-valued flag (`--cpus 0.5`); a value that is no number is a usage error "--NAME must be MUST_BE, got
 * VALUE". The fast path accepts exactly what parseDecimal accepts (scripts/cli-manifest-builder.ts marks these).
 */
export function numberFlag(mustBe: string) {
  return Flags.custom<number>({
    async parse(input, _context, flag) {
      const n = parseDecimal(input)
      if (n === undefined) throw new FlagValueError(`--${flag.name} must be ${mustBe}, got ${input}`)
      return n
    },
  })
}

export abstract class ClientCommand extends Command {
  /** Runs the handler `load` brings with what oclif parsed. */
  protected async handle<F, A>(load: () => Promise<Handler<ParsedCommand<F, A>>>, parsed: { flags: F; args: A; argv: unknown[] }): Promise<void> {
    const { runHandler } = await import('../cli/run-handler.ts')
    ;(await import('../client/tls.ts')).configureClientTls(parsed.flags)
    await runHandler(async () => {
      await (await import('../client/master-detection.ts')).resolveDetectedMaster(parsed.flags as object)
      return (await load()).execute({ flags: parsed.flags, args: parsed.args, argv: parsed.argv.map(String) })
    })
  }
}
