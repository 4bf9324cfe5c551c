// A process tree supervised by a tiny /bin/sh "monitor": the task runs as its own session (so the whole tree can be
// signalled through its process group) and the monitor writes the exit status into `<run>/exit` atomically. The
// monitor outlives the agent, so an agent killed with -9 can re-adopt the task and still learn its true exit code.

import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, watch, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const MONITOR = `d=$1; shift
setsid "$@" <"$d/stdin" >>"$d/stdout" 2>>"$d/stderr" &
c=$!
echo $c > "$d/pid.tmp" && mv "$d/pid.tmp" "$d/pid"
trap '' HUP INT TERM
wait $c; s=$?
while [ $s -gt 128 ] && kill -0 $c 2>/dev/null; do wait $c; s=$?; done
echo $s > "$d/exit.tmp" && mv "$d/exit.tmp" "$d/exit"`

export interface SupervisedProcess {
  monitorPid: number
  monitorStart: string
  pid: number
  runDir: string
}

/** Starts argv under a monitor; stdout/stderr append to the given files; resolves once the task pid is known. */
export async function startSupervised(opts: { runDir: string; argv: string[]; env: Record<string, string>; cwd: string; stdout: string; stderr: string; stdin?: string }): Promise<SupervisedProcess> {
  mkdirSync(opts.runDir, { recursive: true })
  const stdin = opts.stdin ?? '/dev/null'
  // The monitor reads the task's stdio paths from the run dir, so link them there.
  const link = (name: string, target: string) => { rmSync(join(opts.runDir, name), { force: true }); symlinkSync(target, join(opts.runDir, name)) }
  link('stdout', opts.stdout)
  link('stderr', opts.stderr)
  link('stdin', stdin)
  const proc = Bun.spawn(['setsid', '/bin/sh', '-c', MONITOR, 'meso-monitor', opts.runDir, ...opts.argv], {
    cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'ignore', 'ignore'],
  })
  proc.unref()
  const pidFile = join(opts.runDir, 'pid')
  const deadline = Date.now() + 10_000
  while (!existsSync(pidFile)) {
    if (Date.now() > deadline) throw new Error(`task process did not start within 10s (monitor ${proc.pid})`)
    if (proc.exitCode !== null && !existsSync(pidFile)) throw new Error(`monitor exited with ${proc.exitCode} before starting the task`)
    await Bun.sleep(1)
  }
  const pid = Number(readFileSync(pidFile, 'utf8').trim())
  const sp = { monitorPid: proc.pid, monitorStart: processStartTime(proc.pid) ?? '', pid, runDir: opts.runDir }
  writeFileSync(join(opts.runDir, 'monitor.json'), JSON.stringify(sp))
  return sp
}

/** Field 22 of /proc/<pid>/stat: guards re-adoption against pid reuse. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

/** Whether the process runs (a zombie does not) and is the one started at `startTime`: one read of its stat. */
export function isAlive(pid: number, startTime?: string): boolean {
  let stat: string
  try { stat = readFileSync(`/proc/${pid}/stat`, 'utf8') } catch { return false }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  if (startTime && fields[19] !== startTime) return false
  return fields[0] !== 'Z'
}

export function readExitFile(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim())
    return Number.isFinite(n) ? n : undefined
  } catch {
    return undefined
  }
}

/**
 * Resolves when `file` appears (inotify, re-checked after arming, plus a 1 s poll as a safety net), or with
 * `undefined` when `alive()` says the writer is gone without writing it.
 */
export function waitForFile(dir: string, name: string, alive: () => boolean): Promise<'exists' | 'gone'> {
  const file = join(dir, name)
  return new Promise(resolve => {
    let done = false
    let watcher: ReturnType<typeof watch> | undefined
    const finish = (r: 'exists' | 'gone') => {
      if (done) return
      done = true
      clearInterval(poll)
      watcher?.close()
      resolve(r)
    }
    const check = () => {
      if (existsSync(file)) finish('exists')
      else if (!alive()) {
        // The writer may have just finished: look once more before giving up.
        setTimeout(() => finish(existsSync(file) ? 'exists' : 'gone'), 50)
      }
    }
    try { watcher = watch(dir, (_, f) => { if (f === name) check() }) } catch { /* fall back to polling */ }
    const poll = setInterval(check, 1000)
    check()
  })
}
