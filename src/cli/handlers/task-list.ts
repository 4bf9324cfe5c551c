import type TaskList from '../../commands/task/list.ts'
import type { ParsedFor } from '../parsed.ts'
import { CliError, masterUrl } from '../../client/cluster.ts'
import { EXIT } from '../../client/exit-codes.ts'
import { ago, color, printJson, short, stateColor, table } from '../../client/output.ts'
import { listTasks } from '../../client/tasks.ts'
import { isTerminal, type Task } from '../../core/v1/messages.ts'

/**
 * The task's health (docs/health-checks.md): while it runs, the newest status that says (a TASK_KILLING after it
 * says nothing); once it ended, only what its terminal status says (healthy: false when a health check killed it).
 * Undefined: not health checked, or no result yet.
 */
function healthOf(t: Task): boolean | undefined {
  if (isTerminal(t.state)) return t.statuses?.at(-1)?.healthy
  return [...(t.statuses ?? [])].reverse().find(s => s.healthy !== undefined)?.healthy
}

/** HEALTH: healthy / unhealthy; `starting` while a health checked task has no result yet (podman's word); `-` without a health check. */
function healthLabel(t: Task): string {
  const h = healthOf(t)
  if (h !== undefined) return h ? color.green('healthy') : color.red('unhealthy')
  return t.health_check && !isTerminal(t.state) ? 'starting' : '-'
}

export async function execute({ flags }: ParsedFor<typeof TaskList>): Promise<void> {
  if (flags.quiet && flags.json) throw new CliError('--quiet and --json exclude each other', EXIT.USAGE)
  const tasks = await listTasks(masterUrl(flags.master), flags.all)
  if (flags.quiet) {
    if (tasks.length) process.stdout.write(`${tasks.map(({ task: t }) => t.task_id.value).join('\n')}\n`)
    return
  }
  if (flags.json) {
    printJson(tasks.map(({ task: t }) => ({
      id: t.task_id.value, name: t.name, state: t.state, framework_id: t.framework_id.value, agent_id: t.agent_id.value,
      executor_id: t.executor_id?.value, resources: t.resources, statuses: t.statuses ?? [],
      ip_addresses: (t.statuses?.at(-1)?.container_status?.network_infos ?? []).flatMap(n => (n.ip_addresses ?? []).map(a => a.ip_address)),
      healthy: healthOf(t),
    })))
    return
  }
  if (!tasks.length) { console.log(flags.all ? 'no tasks' : 'no active tasks (use --all for completed ones)'); return }
  console.log(table(['ID', 'NAME', 'STATE', 'HEALTH', 'IP', 'AGENT', 'FRAMEWORK', 'UPDATED'], tasks.map(({ task: t }) => {
    const last = t.statuses?.at(-1)
    const ip = [...(t.statuses ?? [])].reverse().find(s => s.container_status?.network_infos?.[0]?.ip_addresses?.length)?.container_status?.network_infos?.[0]?.ip_addresses?.[0]?.ip_address ?? '-'
    return [t.task_id.value, t.name, stateColor(t.state), healthLabel(t), ip, short(t.agent_id.value.split('-').pop()!, 8), short(t.framework_id.value, 13), ago(last?.timestamp)]
  })))
}
