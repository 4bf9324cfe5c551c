// What the agent learns from `nvidia-smi`: the GPUs (index, UUID, device minor, model, memory) at start, and their
// utilisation and memory use for /monitor/statistics. nvidia-smi sits on NVML, as Mesos' discovery does, but needs
// no FFI. Parsing is pure; commands run through an injectable runner so tests feed fake output.

import { existsSync } from 'node:fs'
import { join } from 'node:path'

export interface NvidiaGpu {
  /** NVML index: what --nvidia_gpu_devices and NVIDIA_VISIBLE_DEVICES count in. */
  index: number
  uuid: string
  /** Device minor: the GPU's node is /dev/nvidia<minor>, which need not equal its index. -1 while unknown. */
  minor: number
  name: string
  memoryMiB: number
}

export interface GpuUsage { uuid: string; utilizationPercent: number; memoryUsedBytes: number; memoryTotalBytes: number }

export type CommandRunner = (argv: string[]) => Promise<{ code: number; stdout: string; stderr: string }>

export const GPU_QUERY_ARGS = ['--query-gpu=index,uuid,minor_number,name,memory.total', '--format=csv,noheader']
export const USAGE_QUERY_ARGS = ['--query-gpu=uuid,utilization.gpu,memory.used,memory.total', '--format=csv,noheader,nounits']

const MiB = 1024 * 1024

/** A number from a CSV cell such as `81559 MiB`, `42 %` or `[N/A]` (NaN). */
function cellNumber(cell: string): number {
  const m = /^\s*(-?\d+(?:\.\d+)?)/.exec(cell)
  return m ? Number(m[1]) : Number.NaN
}

/** Parses `index, uuid, minor_number, name, memory.total` lines. A model name may itself hold commas. */
export function parseGpuQuery(csv: string): NvidiaGpu[] {
  const gpus: NvidiaGpu[] = []
  for (const line of csv.split('\n')) {
    if (!line.trim()) continue
    const raw = line.split(',')
    const cells = raw.map(s => s.trim())
    if (cells.length < 5) throw new Error(`unexpected nvidia-smi output line '${line.trim()}' (expected index, uuid, minor_number, name, memory.total)`)
    const index = cellNumber(cells[0]!)
    if (!Number.isInteger(index)) throw new Error(`unexpected GPU index '${cells[0]}' in nvidia-smi output line '${line.trim()}'`)
    const minor = cellNumber(cells[2]!)
    gpus.push({
      index,
      uuid: cells[1]!,
      minor: Number.isInteger(minor) ? minor : -1,
      name: raw.slice(3, -1).join(',').trim(),
      memoryMiB: cellNumber(cells[cells.length - 1]!) || 0,
    })
  }
  return gpus.sort((a, b) => a.index - b.index)
}

/** Parses `uuid, utilization.gpu, memory.used, memory.total` lines (nounits); cells reading [N/A] become 0. */
export function parseUsageQuery(csv: string): GpuUsage[] {
  const out: GpuUsage[] = []
  for (const line of csv.split('\n')) {
    const cells = line.split(',').map(s => s.trim())
    if (cells.length < 4 || !cells[0]) continue
    const n = (s: string) => { const v = cellNumber(s); return Number.isFinite(v) ? v : 0 }
    out.push({ uuid: cells[0], utilizationPercent: n(cells[1]!), memoryUsedBytes: n(cells[2]!) * MiB, memoryTotalBytes: n(cells[3]!) * MiB })
  }
  return out
}

/** `Device Minor:` and `GPU UUID:` from /proc/driver/nvidia/gpus/<pci>/information (when nvidia-smi says [N/A]). */
export function parseGpuInformation(text: string): { uuid?: string; minor?: number } {
  const uuid = /^GPU UUID:\s*(\S+)/m.exec(text)?.[1]
  const minor = /^Device Minor:\s*(\d+)/m.exec(text)?.[1]
  return { uuid, minor: minor === undefined ? undefined : Number(minor) }
}

/** nvidia-smi from --nvidia_driver_dir/bin, else PATH, else /usr/local/nvidia/bin (where the team's hosts keep it). */
export function findNvidiaSmi(o: { driverDir?: string; which: (name: string) => string | null | undefined; exists?: (p: string) => boolean }): string | undefined {
  const exists = o.exists ?? existsSync
  const candidates = [o.driverDir && join(o.driverDir, 'bin', 'nvidia-smi'), o.which('nvidia-smi'), '/usr/local/nvidia/bin/nvidia-smi']
  return candidates.find((p): p is string => !!p && exists(p))
}

/** Runs argv, capturing its output; gives up after `timeoutMs` (a wedged driver can hang nvidia-smi). */
export function spawnRunner(timeoutMs = 30_000): CommandRunner {
  return async argv => {
    const proc = Bun.spawn(argv, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs)
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    clearTimeout(timer)
    return { code, stdout, stderr }
  }
}

/** Runs the discovery query; throws with nvidia-smi's own words when it fails. */
export async function queryGpus(run: CommandRunner, nvidiaSmi: string): Promise<NvidiaGpu[]> {
  const r = await run([nvidiaSmi, ...GPU_QUERY_ARGS])
  if (r.code !== 0) throw new Error(`${nvidiaSmi} ${GPU_QUERY_ARGS.join(' ')} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`)
  return parseGpuQuery(r.stdout)
}

/**
 * Samples usage of all GPUs with one nvidia-smi call, shared by concurrent callers and reused for `maxAgeMs`, so a
 * /monitor/statistics request over many containers costs at most one process spawn.
 */
export class GpuUsageSampler {
  private last?: { at: number; usage: Promise<GpuUsage[]> }

  constructor(private readonly run: CommandRunner, private readonly nvidiaSmi: string, private readonly maxAgeMs = 2000, private readonly now = Date.now) {}

  sample(): Promise<GpuUsage[]> {
    if (this.last && this.now() - this.last.at < this.maxAgeMs) return this.last.usage
    const usage = this.run([this.nvidiaSmi, ...USAGE_QUERY_ARGS])
      .then(r => (r.code === 0 ? parseUsageQuery(r.stdout) : []))
      .catch(() => [])
    this.last = { at: this.now(), usage }
    return usage
  }
}
