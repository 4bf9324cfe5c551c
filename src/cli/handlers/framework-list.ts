import type FrameworkList from '../../commands/framework/list.ts'
import type { ParsedFor } from '../parsed.ts'
import { masterUrl, operatorCall } from '../../client/cluster.ts'
import { ago, color, printJson, table } from '../../client/output.ts'

export async function execute({ flags }: ParsedFor<typeof FrameworkList>): Promise<void> {
  const r = await operatorCall<{ frameworks?: any[]; completed_frameworks?: any[] }>(masterUrl(flags.master), 'GET_FRAMEWORKS')
  const list = [...(r.frameworks ?? []).map(f => ({ ...f, completed: false })), ...(flags.all ? (r.completed_frameworks ?? []).map(f => ({ ...f, completed: true })) : [])]
  if (flags.json) {
    printJson(list.map(f => ({
      id: f.framework_info.id?.value, name: f.framework_info.name, user: f.framework_info.user, roles: f.framework_info.roles ?? [f.framework_info.role ?? '*'],
      active: f.active, connected: f.connected, recovered: f.recovered, completed: f.completed, registered_time: f.registered_time,
      allocated_resources: f.allocated_resources ?? [], offered_resources: f.offered_resources ?? [],
    })))
    return
  }
  if (!list.length) { console.log('no frameworks'); return }
  console.log(table(['ID', 'NAME', 'USER', 'ROLES', 'STATE', 'REGISTERED'], list.map(f => [
    f.framework_info.id?.value ?? '-', f.framework_info.name, f.framework_info.user, (f.framework_info.roles ?? [f.framework_info.role ?? '*']).join(','),
    f.completed ? 'completed' : f.connected ? color.green('connected') : f.recovered ? color.yellow('recovered') : color.yellow('disconnected'),
    ago((f.registered_time?.nanoseconds ?? 0) / 1e9),
  ])))
}
