import type FrameworkTeardown from '../../commands/framework/teardown.ts'
import type { ParsedFor } from '../parsed.ts'
import { masterUrl, operatorCall } from '../../client/cluster.ts'

export async function execute({ flags, args }: ParsedFor<typeof FrameworkTeardown>): Promise<void> {
  await operatorCall(masterUrl(flags.master), 'TEARDOWN', { teardown: { framework_id: { value: args.id } } })
  console.log(`framework ${args.id} torn down`)
}
