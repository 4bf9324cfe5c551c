import type QuotaRm from '../../commands/quota/rm.ts'
import { masterUrl, operatorCall } from '../../client/cluster.ts'
import type { ParsedFor } from '../parsed.ts'

export async function execute({ flags, args }: ParsedFor<typeof QuotaRm>): Promise<void> {
  await operatorCall(masterUrl(flags.master), 'REMOVE_QUOTA', { remove_quota: { role: args.role } })
  console.log(`quota of role ${args.role} removed`)
}
