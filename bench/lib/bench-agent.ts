// A real `meso agent` for a benchmark, in its own process (its CPU and memory read from /proc), logging to a file,
// that can be killed with -9 and started again on the same work dir and port: the re-adoption measurement.

import { closeSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Subprocess } from 'bun'

export interface BenchAgent {
  url: string
  pid: number
  /** Milliseconds from spawn until it listened. */
  readyMs: number
  proc: Subprocess
}

/**
 * Starts `command agent` and resolves once it listens. `logPath` is appended to, so a restarted agent's log follows
 * the first one's; `since` is where in it this start's output begins.
 */
export async function startBenchAgent(command: string[], flags: string[], logPath: string, env: Record<string, string> = {}): Promise<BenchAgent> {
  const since = (() => { try { return readFileSync(logPath).length } catch { return 0 } })()
  const t0 = performance.now()
  // O_APPEND: a restarted agent's output follows its predecessor's instead of overwriting it.
  const log = openSync(logPath, 'a')
  let proc: Subprocess
  try {
    proc = Bun.spawn([...command, 'agent', ...flags], { stdin: 'ignore', stdout: log, stderr: log, env: { ...process.env, NO_COLOR: '1', ...env } })
  } finally {
    closeSync(log)
  }
  const deadline = Date.now() + 60_000
  for (;;) {
    let text = ''
    try { text = readFileSync(logPath, 'utf8').slice(since) } catch { /* not yet written */ }
    const url = /meso agent listening at (http:\/\/\S+?),/.exec(text)?.[1]
    if (url) return { url, pid: proc.pid, readyMs: performance.now() - t0, proc }
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL')
      throw new Error(`meso agent did not start (exit ${proc.exitCode}, log ${logPath}):\n${text.slice(-2000)}`)
    }
    await Bun.sleep(10)
  }
}

/** The agent's listening port, for a restart on the same address. */
export const portOf = (url: string) => Number(new URL(url).port)

export const agentLogPath = (dir: string) => join(dir, 'agent.log')
