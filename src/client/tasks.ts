// Finding tasks the way people name them: full id, unique id prefix, or name (docs/cli.md).

import type { Task } from '../core/v1/messages.ts'
import { CliError, operatorCall } from './cluster.ts'

export interface TaskRef { task: Task; kind: 'active' | 'unreachable' | 'completed' }

export async function listTasks(master: string, all: boolean): Promise<TaskRef[]> {
  const r = await operatorCall<{ tasks?: Task[]; unreachable_tasks?: Task[]; completed_tasks?: Task[] }>(master, 'GET_TASKS')
  const out: TaskRef[] = [
    ...(r.tasks ?? []).map(task => ({ task, kind: 'active' as const })),
    ...(r.unreachable_tasks ?? []).map(task => ({ task, kind: 'unreachable' as const })),
  ]
  if (all) out.push(...(r.completed_tasks ?? []).map(task => ({ task, kind: 'completed' as const })))
  return out
}

/** Resolves an id, unique id prefix or name; prefers active tasks; ambiguity is an error listing candidates. */
export async function resolveTask(master: string, ref: string, opts: { activeOnly?: boolean } = {}): Promise<TaskRef> {
  const all = await listTasks(master, !opts.activeOnly)
  const pick = (list: TaskRef[]) => {
    const exact = list.filter(t => t.task.task_id.value === ref)
    if (exact.length) return exact
    const byName = list.filter(t => t.task.name === ref)
    if (byName.length) return byName
    return list.filter(t => t.task.task_id.value.startsWith(ref))
  }
  const active = pick(all.filter(t => t.kind !== 'completed'))
  const found = active.length ? active : pick(all)
  if (!found.length) throw new CliError(`no task matches '${ref}'; see 'meso task list${opts.activeOnly ? '' : ' --all'}'`)
  const unique = new Map(found.map(t => [`${t.task.framework_id.value}/${t.task.task_id.value}`, t]))
  if (unique.size > 1) {
    throw new CliError(`'${ref}' matches ${unique.size} tasks: ${[...unique.values()].slice(0, 5).map(t => t.task.task_id.value).join(', ')}${unique.size > 5 ? ', …' : ''}; use a longer id prefix`)
  }
  return [...unique.values()][0]!
}
