// meso agent reactivate AGENT: REACTIVATE_AGENT; ends a deactivation or a finished drain.

import type AgentReactivate from '../../commands/agent/reactivate.ts'
import type { ParsedFor } from '../parsed.ts'
import { masterUrl, operatorCall } from '../../client/cluster.ts'
import { resolveAgent } from './agent-target.ts'

export async function execute({ flags, args }: ParsedFor<typeof AgentReactivate>): Promise<void> {
  const base = masterUrl(flags.master)
  const agent = await resolveAgent(base, args.agent)
  await operatorCall(base, 'REACTIVATE_AGENT', { reactivate_agent: { agent_id: { value: agent.id } } })
  console.log(`agent ${agent.id} (${agent.hostname}) reactivated`)
}
