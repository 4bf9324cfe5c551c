import { ClientCommand, jsonFlag, masterFlag } from '../base.ts'

export default class AgentList extends ClientCommand {
  static description = 'list agents with their resources'
  static flags = { master: masterFlag, json: jsonFlag }

  async run() {
    const { flags } = await this.parse(AgentList)
    await this.guard(async () => {
      const { masterUrl, operatorCall } = await import('../../client/cluster.ts')
      const { printJson, table, color } = await import('../../client/output.ts')
      const { Resources } = await import('../../core/resources.ts')
      const r = await operatorCall<{ agents?: any[]; recovered_agents?: any[] }>(masterUrl(flags.master), 'GET_AGENTS')
      const agents = r.agents ?? []
      if (flags.json) {
        printJson(agents.map(a => ({
          id: a.agent_info.id?.value, hostname: a.agent_info.hostname, pid: a.pid, active: a.active, version: a.version,
          attributes: a.agent_info.attributes ?? [], total_resources: a.total_resources ?? [], allocated_resources: a.allocated_resources ?? [],
          gpus: gpuModels(a.agent_info.attributes),
        })))
        return
      }
      if (!agents.length) { this.log('no agents registered'); return }
      this.log(table(['ID', 'HOSTNAME', 'ADDRESS', 'ACTIVE', 'CPUS', 'MEM (MB)', 'GPUS'], agents.map(a => {
        const total = Resources.of(a.total_resources)
        const used = Resources.of(a.allocated_resources)
        const gpus = total.scalar('gpus')
        const models = gpuModels(a.agent_info.attributes)
        return [a.agent_info.id?.value ?? '-', a.agent_info.hostname, (a.pid ?? '').split('@')[1] ?? '-', a.active ? color.green('yes') : color.red('no'),
          `${used.scalar('cpus')}/${total.scalar('cpus')}`, `${used.scalar('mem')}/${total.scalar('mem')}`,
          gpus ? `${used.scalar('gpus')}/${gpus}${models.length ? ' ' + [...new Set(models)].join(',') : ''}` : '-']
      })))
    })
  }
}

function gpuModels(attrs: { name: string; text?: { value: string } }[] | undefined): string[] {
  const a = attrs?.find(x => x.name === 'gpu_models')
  return a?.text?.value ? a.text.value.split(',') : []
}
