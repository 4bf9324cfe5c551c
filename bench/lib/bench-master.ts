// A real `meso master` for a benchmark, in its own process so its CPU and memory can be read from /proc. Its log
// goes to a file (a pipe nobody drains would stall it; draining one here would cost the benchmark CPU).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { daemonCommand } from './meso-bin.ts'

export interface BenchMaster {
  url: string
  pid: number
  logPath: string
  stop(): Promise<void>
}

/** `command` overrides the meso to run (a baseline checkout's master); default: daemonCommand(). */
export async function startBenchMaster(flags: string[] = [], env: Record<string, string> = {}, command = daemonCommand()): Promise<BenchMaster> {
  const dir = mkdtempSync(join(tmpdir(), 'meso-bench-master-'))
  const logPath = join(dir, 'master.log')
  const proc: Subprocess = Bun.spawn([...command, 'master', '--ip=127.0.0.1', '--port=0', `--work_dir=${join(dir, 'work')}`, ...flags], {
    stdin: 'ignore', stdout: Bun.file(logPath), stderr: Bun.file(logPath), env: { ...process.env, NO_COLOR: '1', ...env },
  })
  const deadline = Date.now() + 30_000
  let url: string | undefined
  while (!url) {
    let log = ''
    try { log = readFileSync(logPath, 'utf8') } catch { /* not yet created */ }
    url = /meso master listening at (http:\/\/\S+?) /.exec(log)?.[1]
    if (url) break
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL')
      throw new Error(`meso master did not start:\n${log.slice(-2000)}`)
    }
    await Bun.sleep(20)
  }
  return {
    url, pid: proc.pid, logPath,
    async stop() {
      // SIGTERM lets a profiled master write its profile on the way out.
      proc.kill('SIGTERM')
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
      await proc.exited
      clearTimeout(timer)
      if (!process.env.MESO_BENCH_KEEP) rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Polls `/metrics/snapshot` until `pred` holds for it. */
export async function waitForMetrics(url: string, pred: (m: Record<string, number>) => boolean, timeoutMs = 120_000): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const m = await (await fetch(`${url}/metrics/snapshot`)).json() as Record<string, number>
    if (pred(m)) return m
    if (Date.now() > deadline) throw new Error(`master metrics never reached the expected state: ${JSON.stringify(m).slice(0, 500)}`)
    await Bun.sleep(200)
  }
}
