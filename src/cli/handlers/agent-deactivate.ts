// meso agent deactivate AGENT: DEACTIVATE_AGENT; the agent keeps its tasks but is offered to no one (persisted).

import type AgentDeactivate from '../../commands/agent/deactivate.ts'
import type { ParsedFor } from '../parsed.ts'
import { masterUrl, operatorCall } from '../../client/cluster.ts'
import { resolveAgent } from './agent-target.ts'

export async function execute({ flags, args }: ParsedFor<typeof AgentDeactivate>): Promise<void> {
  const base = masterUrl(flags.master)
  const agent = await resolveAgent(base, args.agent)
  await operatorCall(base, 'DEACTIVATE_AGENT', { deactivate_agent: { agent_id: { value: agent.id } } })
  console.log(`agent ${agent.id} (${agent.hostname}) deactivated`)
}
