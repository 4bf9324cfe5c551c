import { Args, Flags } from '@oclif/core'
import { ClientCommand, masterFlag } from '../base.ts'

export default class TaskKill extends ClientCommand {
  static description = 'kill a task (by id, unique id prefix, or name)'
  static args = { task: Args.string({ required: true, description: 'task id, id prefix or name' }) }
  static flags = {
    master: masterFlag,
    grace: Flags.integer({ description: 'seconds between SIGTERM and SIGKILL (default: the task\'s kill policy)' }),
    wait: Flags.boolean({ description: 'wait until the task is terminal', default: true, allowNo: true }),
  }

  async run() {
    const { args, flags } = await this.parse(TaskKill)
    await this.guard(async () => {
      const { masterUrl, request, errorText, CliError } = await import('../../client/cluster.ts')
      const { resolveTask, listTasks } = await import('../../client/tasks.ts')
      const master = masterUrl(flags.master)
      const { task } = await resolveTask(master, args.task, { activeOnly: true })
      const res = await request(`${master}/api/meso/v1/kill_task`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ framework_id: task.framework_id.value, task_id: task.task_id.value, ...(flags.grace !== undefined ? { grace_period_seconds: flags.grace } : {}) }),
      })
      if (res.status !== 202) throw new CliError(`killing ${task.task_id.value} failed: ${await errorText(res)}`)
      if (flags.wait) {
        const deadline = Date.now() + 60_000
        for (;;) {
          const now = (await listTasks(master, true)).find(t => t.task.task_id.value === task.task_id.value && t.task.framework_id.value === task.framework_id.value)
          if (!now || ['TASK_KILLED', 'TASK_FINISHED', 'TASK_FAILED', 'TASK_LOST', 'TASK_GONE', 'TASK_DROPPED', 'TASK_ERROR'].includes(now.task.state)) {
            this.log(`${task.task_id.value} ${now?.task.state ?? 'gone'}`)
            return
          }
          if (Date.now() > deadline) throw new CliError(`task ${task.task_id.value} is still ${now.task.state} after 60s`)
          await Bun.sleep(200)
        }
      }
      this.log(`kill of ${task.task_id.value} requested`)
    })
  }
}
