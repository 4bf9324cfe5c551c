import type TaskAttach from '../../commands/task/attach.ts'
import type { ParsedFor } from '../parsed.ts'
import { CliError, masterUrl } from '../../client/cluster.ts'
import { attachToTask, parseDetachKeys } from '../../client/container-session.ts'
import { exitCodeFor } from '../../client/exit-codes.ts'
import { taskLogs } from '../../client/task-logs.ts'
import { resolveTask } from '../../client/tasks.ts'
import { isTerminal } from '../../core/v1/messages.ts'

export async function execute({ flags, args }: ParsedFor<typeof TaskAttach>): Promise<number> {
  const master = masterUrl(flags.master)
  // A finished task has no container to attach to; say so and where its output is, rather than "not running".
  const { task } = await resolveTask(master, args.task)
  const last = task.statuses?.at(-1)
  if (isTerminal(task.state)) {
    const id = task.task_id.value
    // An exit code only where the command ran to an end of its own or was killed; a lost task has none.
    const exit = last && ['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED'].includes(task.state) ? `, exit ${exitCodeFor(last)}` : ''
    throw new CliError(`task ${id} finished (${task.state}${exit}); see its output with 'meso task logs ${id}'`)
  }
  // A task without a TTY has no I/O switchboard: the agent answers ATTACH_CONTAINER_OUTPUT with 500, as Mesos does.
  // Its output is in its sandbox, so attaching means following its logs until it ends, then taking its exit code.
  if (!task.container?.tty_info) {
    await taskLogs(master, task.task_id.value, { follow: true, stream: 'both' })
    const { task: ended } = await resolveTask(master, task.task_id.value)
    const final = ended.statuses?.at(-1)
    return isTerminal(ended.state) && final ? exitCodeFor(final) : 0
  }
  return attachToTask(master, task.task_id.value, { noStdin: flags['no-stdin'], detachKeys: parseDetachKeys(flags['detach-keys']) })
}
