// `meso task logs`: a task's sandbox stdout/stderr through the agent's /files/read; -f follows until it ends.

import { isTerminal } from '../core/v1/messages.ts'
import { CliError, operatorCall } from './cluster.ts'
import { FileFollower, SandboxFile, sandboxPath } from './sandbox-files.ts'
import { listTasks, resolveTask } from './tasks.ts'

export async function taskLogs(master: string, ref: string, o: { follow: boolean; stream: 'stdout' | 'stderr'; tail?: number }): Promise<number> {
  const { task } = await resolveTask(master, ref)
  const r = await operatorCall<{ agents?: { agent_info: { id?: { value: string } }; pid?: string }[] }>(master, 'GET_AGENTS')
  const agent = r.agents?.find(a => a.agent_info.id?.value === task.agent_id.value)?.pid?.split('@')[1]
  if (!agent) throw new CliError(`the agent of task ${task.task_id.value} (${task.agent_id.value}) is not registered; its sandbox cannot be read`)
  const file = new SandboxFile(agent, sandboxPath(task, o.stream))
  if (o.tail !== undefined) await file.seekToLastLines(o.tail)
  // The file's content is this command's data: it goes to stdout, whichever file it is.
  const out = process.stdout
  if (!o.follow || isTerminal(task.state)) {
    const bytes = await file.read(1 << 20)
    if (!bytes.length && (await file.size()) === undefined) throw new CliError(`no ${o.stream} for task ${task.task_id.value} (its sandbox may have been garbage-collected)`)
    out.write(bytes)
    return 0
  }
  const follower = new FileFollower([{ file, out }], 100)
  follower.start()
  const key = `${task.framework_id.value}/${task.task_id.value}`
  for (;;) {
    await Bun.sleep(500)
    const now = (await listTasks(master, true)).find(t => `${t.task.framework_id.value}/${t.task.task_id.value}` === key)
    if (!now || isTerminal(now.task.state)) break
  }
  await follower.stop()
  return 0
}
