import type ImagePull from '../../commands/image/pull.ts'
import { masterUrl } from '../../client/cluster.ts'
import { pullImage } from '../../client/image-pull.ts'
import { registryCredentialsFromFlags } from '../../client/images.ts'
import type { ParsedFor } from '../parsed.ts'

export async function execute({ flags, args }: ParsedFor<typeof ImagePull>): Promise<number> {
  const credentials = await registryCredentialsFromFlags(flags['registry-user'], flags['registry-password-stdin'])
  return pullImage({ master: masterUrl(flags.master), reference: args.reference, agent: flags.agent, credentials })
}
