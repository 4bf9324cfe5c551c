import type ClusterStatus from '../../commands/cluster/status.ts'
import type { ParsedFor } from '../parsed.ts'
import { masterUrl, operatorCall } from '../../client/cluster.ts'
import { color, printJson } from '../../client/output.ts'

export async function execute({ flags }: ParsedFor<typeof ClusterStatus>): Promise<void> {
  const master = masterUrl(flags.master)
  const [health, version, metrics, info] = await Promise.all([
    operatorCall<{ healthy: boolean }>(master, 'GET_HEALTH'),
    operatorCall<{ version_info: { version: string } }>(master, 'GET_VERSION'),
    operatorCall<{ metrics?: { name: string; value?: number }[] }>(master, 'GET_METRICS'),
    operatorCall<{ master_info: any; start_time: number }>(master, 'GET_MASTER'),
  ])
  const values = new Map((metrics.metrics ?? []).map(x => [x.name, x.value ?? 0]))
  // A metric the master does not report reads as 0, as a Prometheus exporter would show it.
  const m = (name: string) => values.get(name) ?? 0
  const status = {
    master, healthy: health.healthy, version: version.version_info.version, master_id: info.master_info?.id, uptime_secs: Math.round(m('master/uptime_secs')),
    agents: { active: m('master/slaves_active'), disconnected: m('master/slaves_disconnected'), unreachable: m('master/slaves_unreachable') },
    frameworks: { active: m('master/frameworks_active'), inactive: m('master/frameworks_inactive') },
    tasks: { staging: m('master/tasks_staging'), starting: m('master/tasks_starting'), running: m('master/tasks_running'), finished: m('master/tasks_finished'), failed: m('master/tasks_failed'), killed: m('master/tasks_killed'), lost: m('master/tasks_lost') },
    resources: Object.fromEntries(['cpus', 'mem', 'disk', 'gpus'].map(r => [r, { used: m(`master/${r}_used`), total: m(`master/${r}_total`) }])),
  }
  if (flags.json) { printJson(status); return }
  console.log(`master     ${master}  ${status.healthy ? color.green('healthy') : color.red('unhealthy')}  (Mesos API ${status.version}, up ${status.uptime_secs}s)`)
  console.log(`agents     ${status.agents.active} active, ${status.agents.disconnected} disconnected, ${status.agents.unreachable} unreachable`)
  console.log(`frameworks ${status.frameworks.active} active, ${status.frameworks.inactive} inactive`)
  console.log(`tasks      ${status.tasks.running} running, ${status.tasks.staging + status.tasks.starting} starting, ${status.tasks.finished} finished, ${status.tasks.failed} failed, ${status.tasks.killed} killed, ${status.tasks.lost} lost`)
  for (const [r, v] of Object.entries(status.resources)) {
    if (r === 'gpus' && !v.total) continue
    const pct = v.total ? Math.round((v.used / v.total) * 100) : 0
    console.log(`${r.padEnd(10)} ${v.used} / ${v.total} used (${pct}%)`)
  }
}
