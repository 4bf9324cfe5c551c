import type SecretRm from '../../commands/secret/rm.ts'
import { masterUrl } from '../../client/cluster.ts'
import { removeSecret } from '../../client/secrets.ts'
import type { ParsedFor } from '../parsed.ts'

export async function execute({ flags, args }: ParsedFor<typeof SecretRm>): Promise<void> {
  await removeSecret(masterUrl(flags.master), args.path)
  console.log(`secret ${args.path} removed`)
}
