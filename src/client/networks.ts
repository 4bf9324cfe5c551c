// `meso network list`: the CNI networks each agent has configured, asked of every agent the master knows (its
// GET_AGENTS `pid`, `slave(1)@ip:port`) through the agent's GET /api/meso/v1/networks.

import type { NetworkSummary } from '../agent/isolators/network/cni/network-config.ts'
import { errorText, operatorCall, request } from './cluster.ts'
import { agentOrigin } from './tls.ts'

export interface AgentNetwork extends NetworkSummary { agent_id: string; agent: string }

export interface NetworkListing {
  networks: AgentNetwork[]
  /** Agents that did not answer, with why. */
  unreachable: { agent_id: string; agent: string; error: string }[]
}

/** `slave(1)@10.0.0.5:5051` → `10.0.0.5:5051`. */
export function agentAddress(pid: string | undefined): string | undefined {
  const at = pid?.lastIndexOf('@') ?? -1
  return at >= 0 ? pid!.slice(at + 1) : undefined
}

export async function listNetworks(master: string): Promise<NetworkListing> {
  const r = await operatorCall<{ agents?: { pid?: string; agent_info: { id?: { value: string } } }[] }>(master, 'GET_AGENTS')
  const out: NetworkListing = { networks: [], unreachable: [] }
  await Promise.all((r.agents ?? []).map(async a => {
    const agent = agentAddress(a.pid) ?? '?'
    const agent_id = a.agent_info.id?.value ?? ''
    try {
      const res = await request(`${agentOrigin(agent)}/api/meso/v1/networks`, { headers: { Accept: 'application/json' } })
      if (!res.ok) throw new Error(await errorText(res))
      const body = (await res.json()) as { networks?: NetworkSummary[] }
      out.networks.push(...(body.networks ?? []).map(n => ({ agent_id, agent, ...n })))
    } catch (err) {
      out.unreachable.push({ agent_id, agent, error: (err as Error).message })
    }
  }))
  out.networks.sort((x, y) => x.name.localeCompare(y.name) || x.agent.localeCompare(y.agent))
  return out
}
