// What the cluster has, for placement-diagnosis.ts: one GET_AGENTS when `meso task run` starts (and GET_FLAGS only
// when GPU agents could be filtered out for it). A refused or failed call leaves the diagnosis to the offers alone:
// it is advice, never a reason to fail a run the master itself would accept.

import { operatorCall } from './cluster.ts'
import { agentsFromGetAgents, type ClusterView } from './placement-diagnosis.ts'

export async function fetchClusterView(master: string, gpuCapable: boolean): Promise<ClusterView | undefined> {
  let agents
  try {
    agents = agentsFromGetAgents(await operatorCall(master, 'GET_AGENTS'))
  } catch {
    return undefined
  }
  let filterGpuResources = true // Mesos' default
  if (!gpuCapable && agents.some(a => a.total.scalar('gpus') > 0)) {
    try {
      const r = await operatorCall<{ flags?: { name: string; value?: string }[] }>(master, 'GET_FLAGS')
      const flag = r.flags?.find(f => f.name === 'filter_gpu_resources')?.value
      if (flag !== undefined) filterGpuResources = flag !== 'false'
    } catch { /* keep the default */ }
  }
  return { agents, filterGpuResources }
}
