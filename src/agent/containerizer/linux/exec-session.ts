// A process started inside a running linux container with `crun exec` (task exec, LAUNCH_NESTED_CONTAINER_SESSION):
// all the container's namespaces, its root and cgroup; a pseudo terminal through --console-socket.

import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { newUuid } from '../../../core/ids.ts'
import { lookupUser } from '../../../core/posix-user.ts'
import type { AgentFlags } from '../../flags.ts'
import { PipeIO, PtyIO } from '../../io/process-io.ts'
import { ConsoleSocket } from '../../io/unix.ts'
import { waitStatusOf, type ContainerIO, type ExecProcess, type ExecSpec, type Termination } from '../launcher.ts'
import type { OciRuntime } from '../oci-runtime.ts'
import { mustSwitchUser } from '../user.ts'

export interface ExecTarget {
  id: string
  /** The container's bundle, where the session's pid file goes. */
  bundle: string
  /** Where the console socket goes. */
  socketDir: string
}

export async function execInContainer(runtime: OciRuntime, flags: Pick<AgentFlags, 'sandbox_directory' | 'switch_user'>, c: ExecTarget, x: ExecSpec): Promise<ExecProcess> {
  const sessionId = newUuid().slice(0, 8)
  const pidFile = join(c.bundle, `exec-${sessionId}.pid`)
  // crun exec takes no_new_privileges from its flag, not the container's spec: a session must not gain privileges
  // the task has not (docs/security-tasks.md).
  const args = [runtime.binary, `--root=${runtime.root}`, 'exec', '--no-new-privs', '--pid-file', pidFile, '--cwd', flags.sandbox_directory]
  for (const [k, v] of Object.entries(x.env)) args.push('--env', `${k}=${v}`)
  if (x.user && mustSwitchUser(x.user, flags.switch_user)) {
    const u = lookupUser(x.user)
    if (!u) throw new Error(`Failed to switch to user '${x.user}': no such user on this agent`)
    args.push('--user', `${u.uid}:${u.gid}`)
  }
  let console: ConsoleSocket | undefined
  if (x.tty) {
    console = new ConsoleSocket(join(c.socketDir, `c-${sessionId}`))
    args.push('--tty', '--console-socket', console.path)
  }
  args.push(c.id, ...x.argv)
  const proc = Bun.spawn(args, { stdio: x.tty ? ['ignore', 'ignore', 'pipe'] : ['pipe', 'pipe', 'pipe'] })
  let io: ContainerIO
  try {
    if (console) {
      const master = await console.receiveFd(10_000, () => proc.exitCode !== null)
      const pty = new PtyIO(master)
      if (x.size) pty.resize(x.size.rows, x.size.cols)
      io = pty
    } else {
      io = new PipeIO(proc)
    }
  } catch (err) {
    proc.kill('SIGKILL')
    const why = await new Response(proc.stderr).text().catch(() => '')
    throw new Error(`exec in container ${c.id} failed: ${why.trim() || (err as Error).message}`)
  } finally {
    console?.close()
  }
  // crun reports a command it cannot start with exit 255 and a message on stderr; shells say 127/126 for that.
  let stderrText = ''
  if (x.tty) void new Response(proc.stderr).text().then(t => { stderrText = t })
  else io.onOutput((stream, data) => { if (stream === 'stderr' && stderrText.length < 4096) stderrText += new TextDecoder().decode(data) }, () => {})
  const exited: Promise<Termination> = proc.exited.then(async (code: number) => {
    rmSync(pidFile, { force: true })
    if (code === 255) {
      await Bun.sleep(20)
      if (/executable file .* not found|No such file or directory/.test(stderrText)) code = 127
      else if (/[Pp]ermission denied/.test(stderrText)) code = 126
    }
    return { exitCode: code, waitStatus: waitStatusOf(code) }
  })
  return {
    io,
    wait: () => exited,
    kill: signal => {
      const pid = Number(readFileSafe(pidFile) ?? 0)
      try { if (pid > 0) process.kill(pid, signal); else proc.kill(signal) } catch { /* gone */ }
    },
  }
}

export function readFileSafe(path: string): string | undefined { try { return readFileSync(path, 'utf8') } catch { return undefined } }
