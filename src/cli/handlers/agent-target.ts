// Naming an agent on the command line: its full id, a unique id prefix, or its hostname (an ambiguous name is an
// error listing the candidates, as for tasks). Shared by the agent drain/deactivate/reactivate handlers.

import { CliError, operatorCall } from '../../client/cluster.ts'
import { EXIT } from '../../client/exit-codes.ts'

export interface AgentSummary { id: string; hostname: string; active: boolean; deactivated: boolean; drainState?: string; tasks?: number }

export async function listAgents(base: string): Promise<AgentSummary[]> {
  const r = await operatorCall<{ agents?: any[]; recovered_agents?: any[] }>(base, 'GET_AGENTS')
  return (r.agents ?? []).map(a => ({
    id: a.agent_info?.id?.value ?? '', hostname: a.agent_info?.hostname ?? '', active: !!a.active, deactivated: !!a.deactivated,
    drainState: a.drain_info?.state,
  }))
}

/** The one agent `ref` names. */
export async function resolveAgent(base: string, ref: string): Promise<AgentSummary> {
  const agents = await listAgents(base)
  const exact = agents.find(a => a.id === ref)
  if (exact) return exact
  const matches = agents.filter(a => a.id.startsWith(ref) || a.hostname === ref)
  if (matches.length === 1) return matches[0]!
  if (!matches.length) throw new CliError(`no agent '${ref}' (give its id, a unique id prefix, or its hostname; 'meso agent list' shows them)`, EXIT.USAGE)
  throw new CliError(`'${ref}' names ${matches.length} agents: ${matches.map(a => `${a.id} (${a.hostname})`).join(', ')}; give the full id`, EXIT.USAGE)
}
