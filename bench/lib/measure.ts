// Measurement helpers shared by the benchmarks: interleaved runs (so drift on a noisy shared machine hits every
// variant alike), medians and percentiles, ratios against a baseline measured in the same run, markdown tables.

import { cpus, release, totalmem } from 'node:os'
import { existsSync, readFileSync } from 'node:fs'

export interface Variant { name: string; run: () => Promise<number | void> }

export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!
}

export const median = (xs: number[]) => percentile(xs, 0.5)

/**
 * Runs every variant `rounds` times, rotating the order each round. A variant's run returns its own measured
 * milliseconds, or nothing to be timed from the outside.
 */
export async function interleaved(variants: Variant[], rounds: number, warmup = 1): Promise<Map<string, number[]>> {
  const out = new Map(variants.map(v => [v.name, [] as number[]]))
  for (let r = -warmup; r < rounds; r++) {
    const order = variants.map((_, i) => variants[(i + Math.max(r, 0)) % variants.length]!)
    for (const v of order) {
      const t0 = performance.now()
      const own = await v.run()
      const ms = typeof own === 'number' ? own : performance.now() - t0
      if (r >= 0) out.get(v.name)!.push(ms)
    }
  }
  return out
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const fmt = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1)) : v)
  return [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map(r => `| ${r.map(fmt).join(' | ')} |`)].join('\n')
}

export function cgroupVersion(): string {
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return 'v2'
  return existsSync('/sys/fs/cgroup/unified') ? 'v1 (hybrid)' : 'v1'
}

export function machine(): string {
  let model = cpus()[0]?.model ?? 'unknown CPU'
  try { model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model } catch { /* keep */ }
  return `${cpus().length} × ${model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, cgroups ${cgroupVersion()}`
}

/** The 1/5/15-minute load averages: on a shared machine, what else was running matters when reading the numbers. */
export function loadNote(): string {
  try {
    const [a, b, c] = readFileSync('/proc/loadavg', 'utf8').split(' ')
    return `load average ${a} ${b} ${c} at start`
  } catch {
    return 'load average unknown'
  }
}

export interface BenchResult { name: string; machine: string; rows: Record<string, number | string>[]; notes?: string[] }
