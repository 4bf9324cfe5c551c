// What `meso image pull` shows: per agent, per layer, bytes / total, rate and ETA, from the agents' progress records.
// The model and the number formatting are pure; the plain printer (non-TTY: CI logs, pipes) writes one line per
// layer state change and at most one progress line per layer every few seconds. The ink view is
// pull-progress-view.tsx, loaded only on a TTY.

import type { PullRecord } from './images.ts'

export interface LayerView { digest: string; status: string; current: number; total?: number; since?: number; sinceBytes?: number; at?: number }
export interface AgentPull { label: string; reference?: string; layers: Map<string, LayerView>; final?: PullRecord }

export interface LayerRow { id: string; status: string; current: number; total?: number; fraction?: number; rate?: number; eta?: number }

export class PullProgress {
  readonly agents = new Map<string, AgentPull>()
  version = 0

  constructor(labels: string[]) {
    for (const label of labels) this.agents.set(label, { label, layers: new Map() })
  }

  apply(label: string, r: PullRecord, now = Date.now()) {
    const a = this.agents.get(label)
    if (!a) return
    this.version++
    if (r.type === 'resolved') {
      a.reference = r.reference
      for (const l of r.layers) if (!a.layers.has(l.digest)) a.layers.set(l.digest, { digest: l.digest, status: 'waiting', current: 0, total: l.size })
    } else if (r.type === 'layer') {
      const l = a.layers.get(r.digest) ?? { digest: r.digest, status: 'waiting', current: 0 }
      a.layers.set(r.digest, l)
      if (r.status === 'downloading' && l.since === undefined) { l.since = now; l.sinceBytes = r.current ?? 0 }
      l.status = r.status
      l.current = r.status === 'cached' || r.status === 'done' ? r.total ?? l.total ?? l.current : r.current ?? l.current
      l.total = r.total ?? l.total
      l.at = now
    } else {
      a.final = r
    }
  }

  rows(label: string): LayerRow[] {
    const a = this.agents.get(label)
    return a ? [...a.layers.values()].map(layerRow) : []
  }

  get finished(): boolean { return [...this.agents.values()].every(a => a.final) }
}

export function layerRow(l: LayerView): LayerRow {
  const row: LayerRow = { id: shortDigest(l.digest), status: l.status, current: l.current, total: l.total }
  if (l.total) row.fraction = Math.min(1, l.current / l.total)
  if (l.status === 'downloading' && l.since !== undefined && l.at !== undefined && l.at > l.since) {
    row.rate = ((l.current - (l.sinceBytes ?? 0)) * 1000) / (l.at - l.since)
    if (row.rate > 0 && l.total) row.eta = Math.max(0, (l.total - l.current) / row.rate)
  }
  return row
}

export const shortDigest = (d: string) => d.replace(/^sha256:/, '').slice(0, 12)

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`
}

export const formatRate = (bytesPerSec: number) => `${formatBytes(Math.round(bytesPerSec))}/s`

export function formatEta(seconds: number): string {
  const s = Math.ceil(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

export function bar(fraction: number, width: number): string {
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * width)
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`
}

/** `1.2 MB / 3.4 MB  2.1 MB/s  ETA 1s` (the parts that are known). */
export function describeRow(r: LayerRow): string {
  const parts = [r.total ? `${formatBytes(r.current)} / ${formatBytes(r.total)}` : formatBytes(r.current)]
  if (r.rate) parts.push(formatRate(r.rate))
  if (r.eta !== undefined && r.status === 'downloading') parts.push(`ETA ${formatEta(r.eta)}`)
  return parts.join('  ')
}

/** Plain lines for non-TTY output. */
export class PlainPullPrinter {
  private readonly lastStatus = new Map<string, string>()
  private readonly lastLine = new Map<string, number>()

  constructor(private readonly progress: PullProgress, private readonly write: (line: string) => void, private readonly everyMs = 2000) {}

  onRecord(label: string, r: PullRecord, now = Date.now()) {
    this.progress.apply(label, r, now)
    const prefix = this.progress.agents.size > 1 ? `${label}: ` : ''
    if (r.type === 'resolved') this.write(`${prefix}${r.reference}: ${r.digest} (${r.layers.length} layers)`)
    else if (r.type === 'error') this.write(`${prefix}error: ${r.message}`)
    else if (r.type === 'done') this.write(`${prefix}pulled ${r.reference} (${formatBytes(r.size)})`)
    else {
      const key = `${label}\0${r.digest}`
      const row = layerRow(this.progress.agents.get(label)!.layers.get(r.digest)!)
      const changed = this.lastStatus.get(key) !== r.status
      if (!changed && (r.status !== 'downloading' || now - (this.lastLine.get(key) ?? 0) < this.everyMs)) return
      this.lastStatus.set(key, r.status)
      this.lastLine.set(key, now)
      const detail = r.status === 'downloading' ? `  ${describeRow(row)}` : r.status === 'waiting' && r.total ? `  ${formatBytes(r.total)}` : ''
      this.write(`${prefix}${row.id}: ${r.status}${detail}`)
    }
  }
}
