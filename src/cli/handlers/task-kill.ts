import type TaskKill from '../../commands/task/kill.ts'
import type { ParsedFor } from '../parsed.ts'
import { CliError, errorText, masterUrl, request } from '../../client/cluster.ts'
import { listTasks, resolveTask } from '../../client/tasks.ts'

const DONE = ['TASK_KILLED', 'TASK_FINISHED', 'TASK_FAILED', 'TASK_LOST', 'TASK_GONE', 'TASK_DROPPED', 'TASK_ERROR']

export async function execute({ flags, args }: ParsedFor<typeof TaskKill>): Promise<void> {
  const master = masterUrl(flags.master)
  const { task } = await resolveTask(master, args.task, { activeOnly: true })
  const res = await request(`${master}/api/meso/v1/kill_task`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ framework_id: task.framework_id.value, task_id: task.task_id.value, ...(flags.grace !== undefined ? { grace_period_seconds: flags.grace } : {}) }),
  })
  if (res.status !== 202) throw new CliError(`killing ${task.task_id.value} failed: ${await errorText(res)}`)
  if (!flags.wait) { console.log(`kill of ${task.task_id.value} requested`); return }
  const deadline = Date.now() + 60_000
  // Most tasks die within tens of milliseconds of the kill (the container init forwards SIGTERM), so the first polls
  // come quickly and back off to 200 ms for the ones that take their grace period.
  let pause = 10
  for (;;) {
    const now = (await listTasks(master, true)).find(t => t.task.task_id.value === task.task_id.value && t.task.framework_id.value === task.framework_id.value)
    if (!now || DONE.includes(now.task.state)) { console.log(`${task.task_id.value} ${now?.task.state ?? 'gone'}`); return }
    if (Date.now() > deadline) throw new CliError(`task ${task.task_id.value} is still ${now.task.state} after 60s`)
    await Bun.sleep(pause)
    pause = Math.min(pause * 2, 200)
  }
}
