// ResourceStatistics read from a container's cgroup — one reader per hierarchy behind one interface, one method per
// controller so each cgroups isolator reports its own part (as Mesos' cgroups subsystems do,
// src/slave/containerizer/mesos/isolators/cgroups/subsystems/). v1: cpuacct.stat, cpu.stat, memory.stat,
// memory.usage_in_bytes, pids.current; v2: cpu.stat (µs), cpu.max, memory.stat/current/max, pids.current.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { detectHierarchy, type CgroupHierarchy } from './hierarchy.ts'

export interface CgroupStats {
  /** Fields of mesos.v1.ResourceStatistics (only those the cgroup can tell): cpu, memory and pids together. */
  read(cgroupsPath: string): Record<string, number>
  /** cpus_* fields (cgroups/cpu). */
  cpu(cgroupsPath: string): Record<string, number>
  /** mem_* fields (cgroups/mem). */
  memory(cgroupsPath: string): Record<string, number>
  /** `processes` (cgroups/pids). */
  pids(cgroupsPath: string): Record<string, number>
  /** The memory limit in bytes, if one is set. */
  memoryLimit(cgroupsPath: string): number | undefined
  /** Peak memory use in bytes (for OOM messages), if known. */
  memoryPeak(cgroupsPath: string): number | undefined
  /** How many times the kernel OOM-killed in this cgroup (0 if unknown). */
  oomKills(cgroupsPath: string): number
}

const USER_HZ = 100

function readText(path: string | undefined): string | undefined {
  if (!path) return undefined
  try { return readFileSync(path, 'utf8') } catch { return undefined }
}

function readNumber(path: string | undefined): number | undefined {
  const t = readText(path)?.trim()
  if (t === undefined || t === '' || t === 'max') return undefined
  const n = Number(t)
  return Number.isFinite(n) ? n : undefined
}

/** `key value` lines (memory.stat, cpu.stat, cpuacct.stat, memory.events, memory.oom_control). */
export function keyValues(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/)
    if (k && v !== undefined && Number.isFinite(Number(v))) out[k] = Number(v)
  }
  return out
}

function set(out: Record<string, number>, key: string, v: number | undefined) {
  if (v !== undefined && Number.isFinite(v)) out[key] = v
}

export class CgroupV1Stats implements CgroupStats {
  constructor(private readonly h: CgroupHierarchy) {}
  private f(controller: string, cg: string, file: string) {
    const d = this.h.dir(controller, cg)
    return d ? join(d, file) : undefined
  }
  read(cg: string): Record<string, number> { return { ...this.cpu(cg), ...this.memory(cg), ...this.pids(cg) } }
  cpu(cg: string): Record<string, number> {
    const out: Record<string, number> = {}
    const cpuacct = keyValues(readText(this.f('cpuacct', cg, 'cpuacct.stat')))
    set(out, 'cpus_user_time_secs', cpuacct.user !== undefined ? cpuacct.user / USER_HZ : undefined)
    set(out, 'cpus_system_time_secs', cpuacct.system !== undefined ? cpuacct.system / USER_HZ : undefined)
    const cpu = keyValues(readText(this.f('cpu', cg, 'cpu.stat')))
    set(out, 'cpus_nr_periods', cpu.nr_periods)
    set(out, 'cpus_nr_throttled', cpu.nr_throttled)
    set(out, 'cpus_throttled_time_secs', cpu.throttled_time !== undefined ? cpu.throttled_time / 1e9 : undefined)
    const quota = readNumber(this.f('cpu', cg, 'cpu.cfs_quota_us'))
    const period = readNumber(this.f('cpu', cg, 'cpu.cfs_period_us'))
    const shares = readNumber(this.f('cpu', cg, 'cpu.shares'))
    if (quota !== undefined && quota > 0 && period) out.cpus_limit = quota / period
    else if (shares !== undefined) out.cpus_limit = shares / 1024
    return out
  }
  memory(cg: string): Record<string, number> {
    const out: Record<string, number> = {}
    const mem = keyValues(readText(this.f('memory', cg, 'memory.stat')))
    set(out, 'mem_rss_bytes', mem.total_rss ?? mem.rss)
    set(out, 'mem_cache_bytes', mem.total_cache ?? mem.cache)
    set(out, 'mem_anon_bytes', mem.total_active_anon !== undefined ? (mem.total_active_anon ?? 0) + (mem.total_inactive_anon ?? 0) : undefined)
    set(out, 'mem_file_bytes', mem.total_active_file !== undefined ? (mem.total_active_file ?? 0) + (mem.total_inactive_file ?? 0) : undefined)
    set(out, 'mem_total_bytes', readNumber(this.f('memory', cg, 'memory.usage_in_bytes')))
    set(out, 'mem_limit_bytes', this.memoryLimit(cg))
    return out
  }
  pids(cg: string): Record<string, number> {
    const out: Record<string, number> = {}
    set(out, 'processes', readNumber(this.f('pids', cg, 'pids.current')))
    return out
  }
  memoryLimit(cg: string) {
    const limit = readNumber(this.f('memory', cg, 'memory.limit_in_bytes'))
    return limit !== undefined && limit < 2 ** 62 ? limit : undefined
  }
  memoryPeak(cg: string) { return readNumber(this.f('memory', cg, 'memory.max_usage_in_bytes')) }
  oomKills(cg: string) { return keyValues(readText(this.f('memory', cg, 'memory.oom_control'))).oom_kill ?? 0 }
}

export class CgroupV2Stats implements CgroupStats {
  constructor(private readonly h: CgroupHierarchy) {}
  private f(cg: string, file: string) {
    const d = this.h.dir('', cg)
    return d ? join(d, file) : undefined
  }
  read(cg: string): Record<string, number> { return { ...this.cpu(cg), ...this.memory(cg), ...this.pids(cg) } }
  cpu(cg: string): Record<string, number> {
    const out: Record<string, number> = {}
    const cpu = keyValues(readText(this.f(cg, 'cpu.stat')))
    set(out, 'cpus_user_time_secs', cpu.user_usec !== undefined ? cpu.user_usec / 1e6 : undefined)
    set(out, 'cpus_system_time_secs', cpu.system_usec !== undefined ? cpu.system_usec / 1e6 : undefined)
    set(out, 'cpus_nr_periods', cpu.nr_periods)
    set(out, 'cpus_nr_throttled', cpu.nr_throttled)
    set(out, 'cpus_throttled_time_secs', cpu.throttled_usec !== undefined ? cpu.throttled_usec / 1e6 : undefined)
    const max = readText(this.f(cg, 'cpu.max'))?.trim().split(/\s+/)
    if (max && max[0] !== 'max' && Number(max[1]) > 0) out.cpus_limit = Number(max[0]) / Number(max[1])
    return out
  }
  memory(cg: string): Record<string, number> {
    const out: Record<string, number> = {}
    const mem = keyValues(readText(this.f(cg, 'memory.stat')))
    set(out, 'mem_anon_bytes', mem.anon)
    set(out, 'mem_file_bytes', mem.file)
    set(out, 'mem_rss_bytes', mem.anon)
    set(out, 'mem_cache_bytes', mem.file)
    set(out, 'mem_total_bytes', readNumber(this.f(cg, 'memory.current')))
    set(out, 'mem_limit_bytes', this.memoryLimit(cg))
    return out
  }
  pids(cg: string): Record<string, number> {
    const out: Record<string, number> = {}
    set(out, 'processes', readNumber(this.f(cg, 'pids.current')))
    return out
  }
  memoryLimit(cg: string) { return readNumber(this.f(cg, 'memory.max')) }
  memoryPeak(cg: string) { return readNumber(this.f(cg, 'memory.peak')) }
  oomKills(cg: string) { return keyValues(readText(this.f(cg, 'memory.events'))).oom_kill ?? 0 }
}

export function statsReader(h: CgroupHierarchy): CgroupStats {
  return h.version === 'v2' ? new CgroupV2Stats(h) : new CgroupV1Stats(h)
}

/**
 * The host's reader, made on first use: the linux launcher prepares the hierarchy (hybrid v1 mounts, the v2 root
 * move) at agent start, after the isolators were created.
 */
export function lazyStatsReader(detect: () => CgroupHierarchy = detectHierarchy): () => CgroupStats {
  let stats: CgroupStats | undefined
  return () => (stats ??= statsReader(detect()))
}
