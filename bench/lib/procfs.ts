// Per-process resource use from /proc, for measuring a daemon from the outside (its own counters would cost it).

import { readFileSync } from 'node:fs'

/** A size from /proc/<pid>/status in bytes (`VmRSS`, `VmHWM`, …), or NaN when the process is gone. */
function statusBytes(pid: number, field: string): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : NaN
  } catch {
    return NaN
  }
}

/** Resident set size in bytes (VmRSS), or NaN when the process is gone. */
export const rssBytes = (pid: number) => statusBytes(pid, 'VmRSS')

/** Peak resident set size in bytes (VmHWM) since the process started. */
export const peakRssBytes = (pid: number) => statusBytes(pid, 'VmHWM')

/** User + system CPU seconds the process has used (all threads). Linux reports them in USER_HZ ticks, 100 on x86/arm. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name may contain spaces; fields resume after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return NaN
  }
}

/**
 * The main thread's time on a CPU and waiting in a run queue for one, in seconds (/proc/<pid>/schedstat: the thread
 * whose id is the pid, a JavaScript process's event loop); undefined when the process is gone. Waiting is what a
 * request's latency pays when other processes hold the CPUs, however short the master's own turns are.
 */
export function schedSeconds(pid: number): { run: number; wait: number } | undefined {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number)
    return Number.isFinite(run) && Number.isFinite(wait) ? { run: run! / 1e9, wait: wait! / 1e9 } : undefined
  } catch {
    return undefined
  }
}

/** Samples a process's CPU use over an interval: busy cores (1.0 = one core fully used). */
export class CpuMeter {
  private t0 = performance.now()
  private c0: number
  constructor(private readonly pid: number) { this.c0 = cpuSeconds(pid) }
  /** Average cores used since construction or the last reset. */
  cores(): number { return (cpuSeconds(this.pid) - this.c0) / ((performance.now() - this.t0) / 1000) }
  reset(): void { this.t0 = performance.now(); this.c0 = cpuSeconds(this.pid) }
}
