import type { ParsedCommand } from '../../cli/parsed.ts'
import { masterUrl, operatorCall } from '../cluster.ts'

export async function execute({ flags, args }: ParsedCommand): Promise<void> {
  await operatorCall(masterUrl(flags.master), 'TEARDOWN', { teardown: { framework_id: { value: args.id! } } })
  console.log(`framework ${args.id!} torn down`)
}
