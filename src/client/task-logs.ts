// `meso task logs`: a task's sandbox stdout/stderr through the agent's /files/read; -f follows until it ends, across
// the agent's log rotations (sandbox-files.ts). Without -f it prints what the sandbox still holds: the rotated files
// (`stdout.N` … `stdout.1`, oldest first) and then the current one. `--stream both` gives stdout and stderr, each on
// this command's own stdout and stderr; they are separate files, so arrival order between them exists only for
// output that arrives while following (then they are printed as they arrive, at the follower's 100 ms pace).

import { isTerminal } from '../core/v1/messages.ts'
import { CliError, operatorCall } from './cluster.ts'
import { FileFollower, SandboxFile, sandboxPath } from './sandbox-files.ts'
import { listTasks, resolveTask } from './tasks.ts'

export type LogStream = 'stdout' | 'stderr' | 'both'

/** Rotated files are looked for up to this many (the agent's --logrotate_max_files is at most 1000). */
const MAX_ROTATED = 1000

export async function taskLogs(master: string, ref: string, o: { follow: boolean; stream: LogStream; tail?: number }): Promise<number> {
  const { task } = await resolveTask(master, ref)
  const r = await operatorCall<{ agents?: { agent_info: { id?: { value: string } }; pid?: string }[] }>(master, 'GET_AGENTS')
  const agent = r.agents?.find(a => a.agent_info.id?.value === task.agent_id.value)?.pid?.split('@')[1]
  if (!agent) throw new CliError(`the agent of task ${task.task_id.value} (${task.agent_id.value}) is not registered; its sandbox cannot be read`)
  const streams = o.stream === 'both' ? (['stdout', 'stderr'] as const) : [o.stream]
  // With one stream the file's content is this command's data: it goes to stdout, whichever file it is.
  const outOf = (s: 'stdout' | 'stderr') => (o.stream === 'both' && s === 'stderr' ? process.stderr : process.stdout)
  const files = streams.map(s => {
    const file = new SandboxFile(agent, sandboxPath(task, s))
    file.onGap = message => process.stderr.write(`warning: ${message}\n`)
    return { stream: s, file, out: outOf(s) }
  })
  const follow = o.follow && !isTerminal(task.state)
  let found = 0
  for (const f of files) {
    if (o.tail !== undefined) await f.file.seekToLastLines(o.tail)
    else if (await printRotated(agent, f.file.path, f.out)) found++
    const bytes = await f.file.read(1 << 20)
    if (bytes.length || (await f.file.size()) !== undefined) found++
    f.out.write(bytes)
  }
  if (!follow) {
    if (!found) throw new CliError(`no ${o.stream === 'both' ? 'stdout or stderr' : o.stream} for task ${task.task_id.value} (its sandbox may have been garbage-collected)`)
    return 0
  }
  const follower = new FileFollower(files.map(f => ({ file: f.file, out: f.out })), 100)
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

/** Prints `<path>.N` … `<path>.1`, the rotated history, oldest first; false when there is none. */
async function printRotated(agent: string, path: string, out: NodeJS.WritableStream): Promise<boolean> {
  let n = 0
  while (n < MAX_ROTATED && (await new SandboxFile(agent, `${path}.${n + 1}`).size()) !== undefined) n++
  for (let i = n; i >= 1; i--) {
    const f = new SandboxFile(agent, `${path}.${i}`)
    for (;;) {
      const bytes = await f.read(1 << 20)
      if (!bytes.length) break
      out.write(bytes)
    }
  }
  return n > 0
}
