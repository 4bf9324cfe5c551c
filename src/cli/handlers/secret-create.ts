import { readFileSync } from 'node:fs'
import type SecretCreate from '../../commands/secret/create.ts'
import { CliError, masterUrl } from '../../client/cluster.ts'
import { EXIT } from '../../client/exit-codes.ts'
import { putSecret } from '../../client/secrets.ts'
import type { ParsedFor } from '../parsed.ts'

/** The value: --value, --from-file (or '-'), else stdin when it is not a terminal. */
async function readValue(flags: { value?: string; 'from-file'?: string }): Promise<Uint8Array> {
  if (flags.value !== undefined) return new TextEncoder().encode(flags.value)
  const file = flags['from-file']
  if (file !== undefined && file !== '-') {
    try { return new Uint8Array(readFileSync(file)) } catch (err) { throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.USAGE) }
  }
  if (file === undefined && process.stdin.isTTY) throw new CliError('give the value with --from-file FILE or on stdin (e.g. printf %s "$VALUE" | meso secret create PATH)', EXIT.USAGE)
  return new Uint8Array(await Bun.stdin.arrayBuffer())
}

export async function execute({ flags, args }: ParsedFor<typeof SecretCreate>): Promise<void> {
  const value = await readValue(flags)
  const outcome = await putSecret(masterUrl(flags.master), args.path, value)
  console.log(`secret ${args.path} ${outcome}`)
}
