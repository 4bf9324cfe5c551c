import type AgentList from '../../commands/agent/list.ts'
import type { ParsedFor } from '../parsed.ts'
import { reservationRole, Resources } from '../../core/resources.ts'
import { masterUrl, operatorCall } from '../../client/cluster.ts'
import { color, printJson, table } from '../../client/output.ts'

export async function execute({ flags }: ParsedFor<typeof AgentList>): Promise<void> {
  const r = await operatorCall<{ agents?: any[]; recovered_agents?: any[] }>(masterUrl(flags.master), 'GET_AGENTS')
  const agents = r.agents ?? []
  if (flags.json) {
    printJson(agents.map(a => ({
      id: a.agent_info.id?.value, hostname: a.agent_info.hostname, pid: a.pid, active: a.active, version: a.version,
      attributes: a.agent_info.attributes ?? [], total_resources: a.total_resources ?? [], allocated_resources: a.allocated_resources ?? [],
      ...reservations(Resources.of(a.total_resources)),
      gpus: gpuModels(a.agent_info.attributes),
    })))
    return
  }
  if (!agents.length) { console.log('no agents registered'); return }
  console.log(table(['ID', 'HOSTNAME', 'ADDRESS', 'ACTIVE', 'CPUS', 'MEM (MB)', 'GPUS'], agents.map(a => {
    const total = Resources.of(a.total_resources)
    const used = Resources.of(a.allocated_resources)
    const gpus = total.scalar('gpus')
    const models = gpuModels(a.agent_info.attributes)
    return [a.agent_info.id?.value ?? '-', a.agent_info.hostname, (a.pid ?? '').split('@')[1] ?? '-', a.active ? color.green('yes') : color.red('no'),
      `${used.scalar('cpus')}/${total.scalar('cpus')}`, `${used.scalar('mem')}/${total.scalar('mem')}`,
      gpus ? `${used.scalar('gpus')}/${gpus}${models.length ? ' ' + [...new Set(models)].join(',') : ''}` : '-']
  })))
}

/** As the agent's /state shows them: flattened totals by reservation role (static and dynamic), and the unreserved rest. */
function reservations(total: Resources) {
  const byRole = new Map<string, Resources>()
  for (const r of total.list) {
    const role = reservationRole(r)
    if (role !== '*') byRole.set(role, (byRole.get(role) ?? Resources.EMPTY).plus(Resources.of([r])))
  }
  return {
    reserved_resources: Object.fromEntries([...byRole].map(([role, r]) => [role, r.flatten()])),
    unreserved_resources: total.unreserved().flatten(),
  }
}

function gpuModels(attrs: { name: string; text?: { value: string } }[] | undefined): string[] {
  const a = attrs?.find(x => x.name === 'gpu_models')
  return a?.text?.value ? a.text.value.split(',') : []
}
