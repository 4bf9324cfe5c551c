// Start-up: `meso --help`, and `meso up` until the master answers /health and its agent is registered, timed from
// spawn, in repeated interleaved runs (as hyperfine does). Baselines in the same run: a compiled Bun binary that
// prints one line (the floor for any Bun-compiled CLI, built here with the pinned Bun), `crun --version` (a C
// binary, when installed), and for `meso up` a compiled Bun binary that serves HTTP, timed to its first answer.
//
//   bun bench/startup.ts [--quick] [--rounds N]

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BUN, mesoCommand, mesoDescription } from './lib/meso-bin.ts'
import { printResult } from './lib/print-result.ts'
import { interleaved, machine, median, percentile, type BenchResult, type Variant } from './lib/measure.ts'

async function run(cmd: string[]): Promise<void> {
  const p = Bun.spawn(cmd, { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } })
  const code = await p.exited
  if (code !== 0) throw new Error(`${cmd.join(' ')} exited ${code}: ${(await new Response(p.stderr).text()).slice(0, 300)}`)
}

/** Compiles `source` with the pinned Bun into a binary in `dir`. */
async function compile(dir: string, name: string, source: string): Promise<string> {
  const src = join(dir, `${name}.ts`)
  const out = join(dir, name)
  writeFileSync(src, source)
  const p = Bun.spawn([BUN, 'build', src, '--compile', '--minify', '--bytecode', '--outfile', out], { stdout: 'ignore', stderr: 'pipe', cwd: dir })
  if (await p.exited !== 0) throw new Error(`bun build ${name}: ${await new Response(p.stderr).text()}`)
  return out
}

async function poll(url: string, ok: (r: Response) => Promise<boolean> | boolean, deadline: number): Promise<void> {
  for (;;) {
    try {
      const r = await fetch(url)
      if (await ok(r)) return
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`${url} not ready in time`)
    await Bun.sleep(2)
  }
}

/** Spawns a daemon, waits for the line with its URL, then for `ready(url)`; returns ms from spawn to ready. */
async function timeDaemon(cmd: string[], urlPattern: RegExp, ready: (url: string, deadline: number) => Promise<void>): Promise<number> {
  const t0 = performance.now()
  const p = Bun.spawn(cmd, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } })
  try {
    let out = ''
    const dec = new TextDecoder()
    let url: string | undefined
    const pump = async (s: ReadableStream<Uint8Array>) => {
      for await (const c of s) { out += dec.decode(c); url ??= urlPattern.exec(out)?.[1] }
    }
    void pump(p.stdout)
    void pump(p.stderr)
    const deadline = Date.now() + 30_000
    while (!url) {
      if (p.exitCode !== null) throw new Error(`${cmd.join(' ')} exited ${p.exitCode}: ${out.slice(-500)}`)
      if (Date.now() > deadline) throw new Error(`${cmd.join(' ')} printed no URL: ${out.slice(-500)}`)
      await Bun.sleep(1)
    }
    await ready(url, deadline)
    return performance.now() - t0
  } finally {
    p.kill('SIGINT')
    const timer = setTimeout(() => p.kill('SIGKILL'), 10_000)
    await p.exited
    clearTimeout(timer)
  }
}

export async function runStartupBench(opts: { quick: boolean; rounds?: number }): Promise<BenchResult> {
  const rounds = opts.rounds ?? (opts.quick ? 3 : 15)
  const upRounds = Math.max(2, Math.ceil(rounds / 3))
  const dir = mkdtempSync(join(tmpdir(), 'meso-bench-startup-'))
  const notes: string[] = [`meso: ${mesoDescription()}; ${rounds} interleaved runs after one warm-up (meso up: ${upRounds}).`]
  try {
    const hello = await compile(dir, 'hello', "console.log('hello')\n")
    const server = await compile(dir, 'server', [
      "const s = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response(null, { status: 200 }) })",
      'console.log(`listening at http://127.0.0.1:${s.port} ready`)',
      "process.on('SIGINT', () => process.exit(0))",
    ].join('\n'))
    const meso = mesoCommand()
    const cli: Variant[] = [
      { name: 'meso --help', run: () => run([...meso, '--help']) },
      { name: 'bare Bun binary (prints one line)', run: () => run([hello]) },
    ]
    const crun = Bun.which('crun')
    if (crun) cli.push({ name: 'crun --version', run: () => run([crun, '--version']) })
    else notes.push('crun --version skipped: crun is not installed.')
    const cliTimes = await interleaved(cli, rounds)

    let upN = 0
    const healthMs: number[] = []
    const daemons: Variant[] = [
      {
        name: 'meso up → /health and agent registered',
        run: () => {
          const work = join(dir, `up-${upN++}`)
          mkdirSync(work)
          const t0 = performance.now()
          return timeDaemon([...meso, 'up', `--work_dir=${work}`, '--port=0'], /meso is up: master (http:\/\/\S+)/, async (url, deadline) => {
            await poll(`${url}/health`, r => r.status === 200, deadline)
            healthMs.push(performance.now() - t0)
            await poll(`${url}/metrics/snapshot`, async r => ((await r.json()) as Record<string, number>)['master/slaves_active'] === 1, deadline)
          })
        },
      },
      {
        name: 'bare Bun binary serving HTTP → first answer',
        run: () => timeDaemon([server], /listening at (http:\/\/\S+)/, (url, deadline) => poll(url, r => r.status === 200, deadline)),
      },
    ]
    const upTimes = await interleaved(daemons, upRounds)

    const bare = median(cliTimes.get('bare Bun binary (prints one line)')!)
    const bareServer = median(upTimes.get('bare Bun binary serving HTTP → first answer')!)
    const crunMedian = cliTimes.has('crun --version') ? median(cliTimes.get('crun --version')!) : undefined
    const rows: Record<string, number | string>[] = []
    const row = (name: string, xs: number[], baseline: string, base: number) => rows.push({
      command: name, runs: xs.length, 'median ms': median(xs), 'p90 ms': percentile(xs, 0.9), 'min ms': Math.min(...xs),
      baseline, 'ratio vs baseline': median(xs) / base, 'vs crun --version': crunMedian ? median(xs) / crunMedian : '',
    })
    for (const [name, xs] of cliTimes) row(name, xs, 'bare Bun binary', bare)
    // The warm-up run's health time is the first entry; drop it as interleaved() drops the warm-up's total.
    row('meso up → master /health', healthMs.slice(healthMs.length - upTimes.get('meso up → /health and agent registered')!.length), 'bare Bun HTTP binary', bareServer)
    for (const [name, xs] of upTimes) row(name, xs, 'bare Bun HTTP binary', bareServer)
    notes.push("`meso up` to a registered agent includes the agent's random first-registration delay, uniform in [0, 1 s] " +
      '(--registration_backoff_factor, as in Mesos), so its median carries about 0.5 s of deliberate waiting.')
    return { name: 'startup', machine: machine(), rows, notes }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export function printStartup(r: BenchResult) {
  printResult('Start-up', r)
}

if (import.meta.main) {
  const i = process.argv.indexOf('--rounds')
  printStartup(await runStartupBench({ quick: process.argv.includes('--quick'), rounds: i > 0 ? Number(process.argv[i + 1]) : undefined }))
}
