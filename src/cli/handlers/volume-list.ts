// `meso volume list`: the persistent volumes in the agents' total resources (the master's GET_AGENTS, where CREATE
// and CREATE_VOLUMES put them) with the tasks that use them (GET_TASKS: tasks that have not ended whose resources
// hold the same volume on the same agent).

import type VolumeList from '../../commands/volume/list.ts'
import type { ParsedFor } from '../parsed.ts'
import { masterUrl, operatorCall } from '../../client/cluster.ts'
import { printJson, table } from '../../client/output.ts'
import { normalizeResource, reservationRole, type Resource } from '../../core/resources.ts'
import { isTerminal, type TaskState } from '../../core/v1/messages.ts'

export interface VolumeRow {
  agent_id: string
  hostname: string
  role: string
  persistence_id: string
  /** Who created it (DiskInfo.Persistence.principal). */
  principal?: string
  /** MB. */
  size: number
  container_path?: string
  mode: 'RW' | 'RO'
  /** Ids of the tasks that have not ended and hold the volume. */
  in_use_by: string[]
}

interface AgentLike { agent_info: { id?: { value: string }; hostname: string }; total_resources?: Resource[] }
interface TaskLike { task_id: { value: string }; agent_id?: { value: string }; state?: TaskState; resources?: Resource[] }

interface VolumeDisk { persistence?: { id?: string; principal?: string }; volume?: { container_path?: string; mode?: 'RW' | 'RO' } }
const persistenceOf = (r: Resource) => (r.disk as VolumeDisk | undefined)?.persistence

/** Volumes are known by agent, role and persistence id (their directory on the agent). */
const volumeKey = (agentId: string, r: Resource) => `${agentId}\u0000${reservationRole(normalizeResource(r))}\u0000${persistenceOf(r)?.id}`

export function volumeRows(agents: readonly AgentLike[], tasks: readonly TaskLike[]): VolumeRow[] {
  const users = new Map<string, string[]>()
  for (const t of tasks) {
    if (isTerminal(t.state) || !t.agent_id) continue
    for (const r of t.resources ?? []) {
      if (!persistenceOf(r)?.id) continue
      const k = volumeKey(t.agent_id.value, r)
      const list = users.get(k) ?? []
      if (!list.includes(t.task_id.value)) list.push(t.task_id.value)
      users.set(k, list)
    }
  }
  const rows: VolumeRow[] = []
  for (const a of agents) {
    const agentId = a.agent_info.id?.value ?? ''
    for (const r of a.total_resources ?? []) {
      const p = persistenceOf(r)
      if (!p?.id) continue
      const disk = r.disk as VolumeDisk
      rows.push({
        agent_id: agentId, hostname: a.agent_info.hostname, role: reservationRole(normalizeResource(r)), persistence_id: p.id,
        ...(p.principal ? { principal: p.principal } : {}), size: r.scalar?.value ?? 0,
        ...(disk.volume?.container_path ? { container_path: disk.volume.container_path } : {}), mode: disk.volume?.mode ?? 'RW',
        in_use_by: users.get(volumeKey(agentId, r)) ?? [],
      })
    }
  }
  return rows.sort((x, y) => x.agent_id.localeCompare(y.agent_id) || x.role.localeCompare(y.role) || x.persistence_id.localeCompare(y.persistence_id))
}

export async function execute({ flags }: ParsedFor<typeof VolumeList>): Promise<void> {
  const base = masterUrl(flags.master)
  const [agents, tasks] = await Promise.all([
    operatorCall<{ agents?: AgentLike[] }>(base, 'GET_AGENTS'),
    operatorCall<{ tasks?: TaskLike[]; pending_tasks?: TaskLike[]; unreachable_tasks?: TaskLike[] }>(base, 'GET_TASKS'),
  ])
  const rows = volumeRows(agents.agents ?? [], [...(tasks.tasks ?? []), ...(tasks.unreachable_tasks ?? [])])
  if (flags.json) { printJson(rows); return }
  if (!rows.length) { console.log('no persistent volumes (a framework creates them with the CREATE offer operation, an operator with CREATE_VOLUMES)'); return }
  console.log(table(['AGENT', 'ROLE', 'PERSISTENCE ID', 'SIZE (MB)', 'CONTAINER PATH', 'MODE', 'PRINCIPAL', 'IN USE BY'], rows.map(v => [
    `${v.hostname} (${v.agent_id})`, v.role, v.persistence_id, v.size, v.container_path ?? '-', v.mode, v.principal ?? '-', v.in_use_by.join(', ') || '-',
  ])))
}
