// Hostile input against a real master and agent (docs/security-input.md): a long fuzz run (test/fuzz/hostile.ts),
// 50 MB hostile bodies while the master's RSS is sampled, and half-sent requests on raw sockets. Passes when no
// daemon dies, nothing answers 5xx but 501, the master grows by less than 100 MB, and every half-sent request is
// closed. The suite runs a short version of the same (test/e2e/hostile-input.test.ts).
//
//   bun bench/fuzz.ts [--requests 100000] [--concurrency 32] [--seed 1] [--idle 4]
//
// MESO_BIN / MESO_BENCH_SOURCE pick the meso that runs (bench/lib/meso-bin.ts); MESO_BENCH_BASELINE=DIR adds the
// same hostile-body and half-open measurements against that checkout's master, for a before/after.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startBenchMaster, waitForMetrics, type BenchMaster } from './lib/bench-master.ts'
import { baselineMaster, mesoCommand, mesoDescription } from './lib/meso-bin.ts'
import { peakRssBytes, rssBytes } from './lib/procfs.ts'
import { runFuzz } from '../test/fuzz/hostile.ts'
import { halfOpen, hostileBody } from '../test/fuzz/raw.ts'

const { values: args } = parseArgs({
  options: { requests: { type: 'string', default: '100000' }, concurrency: { type: 'string', default: '32' }, seed: { type: 'string', default: '1' }, idle: { type: 'string', default: '4' } },
})
const mb = (n: number) => `${Math.round(n / 1048576)} MB`

async function startAgent(master: string, idle: number): Promise<{ url: string; pid: number; exited: () => boolean; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'meso-fuzz-agent-'))
  const logPath = join(dir, 'agent.log')
  const proc = Bun.spawn([...mesoCommand(), 'agent', `--master=${master.replace(/^http:\/\//, '')}`, '--ip=127.0.0.1', '--port=0', `--work_dir=${join(dir, 'work')}`,
    '--launcher=posix', '--resources=cpus:2;mem:2048', `--http_idle_timeout=${idle}secs`], { stdin: 'ignore', stdout: Bun.file(logPath), stderr: Bun.file(logPath), env: { ...process.env, NO_COLOR: '1' } })
  const deadline = Date.now() + 30_000
  for (;;) {
    let log = ''
    try { log = readFileSync(logPath, 'utf8') } catch { /* not yet */ }
    const url = /meso agent listening at (http:\/\/\S+?),/.exec(log)?.[1]
    if (url) return { url, pid: proc.pid, exited: () => proc.exitCode !== null, async stop() { proc.kill('SIGKILL'); await proc.exited; rmSync(dir, { recursive: true, force: true }) } }
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`meso agent did not start:\n${log.slice(-2000)}`)
    await Bun.sleep(20)
  }
}

/** 50 MB hostile bodies (with and without a Content-Length) and a 10 MB one inside the limit; RSS sampled throughout. */
async function hostileBodies(m: BenchMaster): Promise<{ lines: string[]; growth: number }> {
  // Writing 5 to clear_refs resets VmHWM (the peak RSS), so the peak below is this phase's, not the fuzz run's.
  try { writeFileSync(`/proc/${m.pid}/clear_refs`, '5') } catch { /* not Linux, or not allowed: the sampled peak stands */ }
  const before = rssBytes(m.pid)
  let peak = before
  const sampler = setInterval(() => { peak = Math.max(peak, rssBytes(m.pid)) }, 10)
  const lines: string[] = []
  for (const [size, chunked] of [[50e6, false], [50e6, true], [10e6, true]] as const) {
    const t0 = performance.now()
    const r = await hostileBody(m.url, '/api/v1/scheduler', size, { chunked, timeoutMs: 180_000 })
    lines.push(`${size / 1e6} MB of '[' ${chunked ? 'chunked' : 'with Content-Length'}: ${r.status} after ${mb(r.sent)} sent, ${Math.round(performance.now() - t0)} ms — ${r.body.slice(0, 100)}`)
  }
  clearInterval(sampler)
  lines.push(`master RSS ${mb(before)} before, peak ${mb(Math.max(peak, peakRssBytes(m.pid)))} (VmHWM), ${mb(rssBytes(m.pid))} after`)
  return { lines, growth: Math.max(peak, peakRssBytes(m.pid)) - before }
}

async function halfOpenRun(url: string): Promise<string> {
  const [h, b, i] = await Promise.all([halfOpen(url, 300, 'headers', 30_000), halfOpen(url, 300, 'body', 30_000), halfOpen(url, 300, 'idle', 30_000)])
  const show = (t: number[]) => { const c = t.filter(x => x !== Infinity); return `${c.length}/300 closed${c.length ? `, the last after ${(Math.max(...c) / 1000).toFixed(1)} s` : ''}` }
  return `half-sent heads: ${show(h)}; half-sent bodies: ${show(b)}; idle kept-alive: ${show(i)} (waited 30 s)`
}

const idle = Number(args.idle)
const failures: string[] = []
console.log(`## Hostile input (${mesoDescription()})\n`)
const master = await startBenchMaster([`--http_idle_timeout=${idle}secs`, '--allocation_interval=100ms'])
const agent = await startAgent(master.url, idle)
try {
  await waitForMetrics(master.url, m => m['master/slaves_active'] === 1)
  const alive = () => !agent.exited() && Number.isFinite(rssBytes(master.pid))
  const count = Number(args.requests)
  const report = await runFuzz({ master: master.url, agent: agent.url, count, concurrency: Number(args.concurrency), seed: Number(args.seed), alive })
  console.log(`fuzz: ${report.requests} requests in ${report.seconds.toFixed(1)} s (${Math.round(report.requests / report.seconds)}/s), seed ${args.seed}`)
  console.log(`  statuses: ${JSON.stringify(report.byStatus)}; transport errors: ${report.transportErrors}`)
  for (const t of report.transportSamples) console.log(`    no answer: ${t}`)
  console.log(`  5xx other than 501: ${report.serverErrors.length}; daemons alive: ${alive()}`)
  for (const e of report.serverErrors.slice(0, 20)) console.log(`    ${e.status} ${e.kind} ${e.path}: ${e.body} ← ${e.request}`)
  if (report.serverErrors.length) failures.push(`${report.serverErrors.length} answers 5xx`)
  if (!alive()) failures.push('a daemon died')
  if (report.requests < count) failures.push(`only ${report.requests} of ${count} requests were sent`)

  const bodies = await hostileBodies(master)
  for (const l of bodies.lines) console.log(l)
  if (bodies.growth >= 100 * 1048576) failures.push(`master RSS grew by ${mb(bodies.growth)}`)
  console.log(`${await halfOpenRun(master.url)} (--http_idle_timeout=${idle}secs)`)
} finally {
  await agent.stop()
  await master.stop()
}

const base = baselineMaster()
if (base) {
  console.log(`\n### ${base.label}`)
  const old = await startBenchMaster([], {}, base.command)
  try {
    for (const l of (await hostileBodies(old)).lines) console.log(l)
    console.log(await halfOpenRun(old.url))
  } finally {
    await old.stop()
  }
}
console.log(failures.length ? `\nFAILED: ${failures.join('; ')}` : '\nOK: no crash, no 5xx but 501, RSS growth under 100 MB')
process.exit(failures.length ? 1 : 0)
