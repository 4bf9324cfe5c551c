// Every benchmark, one markdown table each, with the machine they ran on; results also go to
// bench/results/latest.json (ignored by git). `npm run bench` runs this; each benchmark also runs alone.
//
//   bun bench/all.ts [--quick] [--only allocator,placement,…] [--out FILE]

import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { loadNote, machine, type BenchResult } from './lib/measure.ts'
import { printResult } from './lib/print-result.ts'

export interface SuiteEntry { name: string; ms: number; result?: BenchResult; error?: string }

interface Loaded {
  run(opts: { quick: boolean }): Promise<BenchResult>
  print(r: BenchResult): void
}

const allocator: Loaded = {
  async run({ quick }) {
    const { runAllocatorBench } = await import('./allocator.ts')
    const { rows } = await runAllocatorBench({ quick })
    const notes = ['Pure allocator, no I/O. Baseline: the naive allocator in bench/allocator.ts (every share recomputed, every role ' +
      'and framework re-sorted per agent, every agent visited), same scenario, same run.']
    const goal = rows.find(r => r.agents === 10_000 && r.frameworks === 100)
    if (goal) notes.push(`Goal: one cycle ≤ 50 ms at 10k agents × 100 frameworks; measured: first ${goal['first allocate ms']} ms, steady ${goal['steady cycle ms (median)']} ms.`)
    return { name: 'allocator', machine: machine(), rows, notes }
  },
  print: r => printResult('Allocator', r),
}


export const BENCHMARKS: { name: string; load: () => Promise<Loaded> }[] = [
  { name: 'allocator', load: async () => allocator },
  { name: 'launch', load: async () => { const m = await import('./launch.ts'); return { run: m.runLaunchBench, print: m.printLaunch } } },
  { name: 'placement', load: async () => { const m = await import('./placement.ts'); return { run: m.runPlacementBench, print: m.printPlacement } } },
  { name: 'footprint', load: async () => { const m = await import('./footprint.ts'); return { run: m.runFootprintBench, print: m.printFootprint } } },
  { name: 'startup', load: async () => { const m = await import('./startup.ts'); return { run: m.runStartupBench, print: m.printStartup } } },
  { name: 'images', load: async () => { const m = await import('./images.ts'); return { run: m.runImagesBench, print: m.printImages } } },
  { name: 'network', load: async () => { const m = await import('./network.ts'); return { run: m.runNetworkBench, print: m.printNetwork } } },
  { name: 'failover', load: async () => { const m = await import('./failover.ts'); return { run: m.runFailoverBench, print: m.printFailover } } },
  { name: 'kill', load: async () => { const m = await import('./kill.ts'); return { run: m.runKillBench, print: m.printKill } } },
  { name: 'dns', load: async () => { const m = await import('./dns.ts'); return { run: m.runDnsBench, print: m.printDns } } },
  { name: 'vip', load: async () => { const m = await import('./vip.ts'); return { run: m.runVipBench, print: m.printVip } } },
  { name: 'services', load: async () => { const m = await import('./services.ts'); return { run: m.runServicesBench, print: m.printServices } } },
  { name: 'agent-scale', load: async () => { const m = await import('./agent-scale.ts'); return { run: m.runAgentScaleBench, print: m.printAgentScale } } },
]

export async function runAll(opts: { quick: boolean; only?: string[]; out?: string }): Promise<SuiteEntry[]> {
  const started = performance.now()
  console.log(`## meso benchmarks${opts.quick ? ' (quick)' : ''}\n\n${machine()}; ${loadNote()}; Bun ${Bun.version}`)
  const entries: SuiteEntry[] = []
  for (const b of BENCHMARKS) {
    if (opts.only && !opts.only.includes(b.name)) continue
    const t0 = performance.now()
    try {
      const bench = await b.load()
      const result = await bench.run({ quick: opts.quick })
      bench.print(result)
      entries.push({ name: b.name, ms: performance.now() - t0, result })
    } catch (err) {
      console.log(`\n### ${b.name}\n\n> failed: ${(err as Error).message}`)
      entries.push({ name: b.name, ms: performance.now() - t0, error: (err as Error).stack ?? String(err) })
    }
  }
  const out = opts.out ?? join(import.meta.dir, 'results', 'latest.json')
  mkdirSync(resolve(out, '..'), { recursive: true })
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), quick: opts.quick, machine: machine(), bun: Bun.version, benchmarks: entries }, null, 2) + '\n')
  console.log(`\n${entries.length} benchmark(s) in ${((performance.now() - started) / 1000).toFixed(0)} s; results in ${out}`)
  return entries
}

if (import.meta.main) {
  const i = process.argv.indexOf('--only')
  const o = process.argv.indexOf('--out')
  const entries = await runAll({
    quick: process.argv.includes('--quick'),
    only: i > 0 ? process.argv[i + 1]!.split(',') : undefined,
    out: o > 0 ? process.argv[o + 1] : undefined,
  })
  process.exit(entries.some(e => e.error) ? 1 : 0)
}
