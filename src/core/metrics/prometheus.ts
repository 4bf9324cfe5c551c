// `GET /metrics`: the values of /metrics/snapshot in the Prometheus text exposition format 0.0.4, so a Prometheus
// server scrapes meso without an exporter. Names are Mesos' keys with `/` turned into `_` and a `meso_` prefix
// (`master/tasks_running` → `meso_master_tasks_running`); the parts of a key that name a framework, a role, a
// resource or a task's source and reason become labels, so one family holds them all. Timers become summaries
// (quantiles over the window, `_sum`/`_count` over every sample since start); histograms are rendered as they are.
// docs/metrics.md lists the mapping.

import type { Histogram } from './histogram.ts'
import type { MetricKind, RegistryDescription } from './registry.ts'
import { TIMER_PERCENTILES, type Timer } from './timer.ts'

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

const PREFIX = 'meso_'

export interface PrometheusName {
  name: string
  labels: [string, string][]
}

/** Keys whose middle names something: the family name keeps the fixed words, the rest become labels. */
const LABELLED: { re: RegExp; name: (m: RegExpMatchArray) => string; labels: (m: RegExpMatchArray) => [string, string][] }[] = [
  {
    re: /^master\/frameworks\/([^/]+)\/([^/]+)\/roles\/(.+)\/suppressed$/,
    name: () => 'master_frameworks_roles_suppressed',
    labels: m => [['framework_name', safeDecode(m[1]!)], ['framework_id', m[2]!], ['role', m[3]!]],
  },
  {
    re: /^master\/frameworks\/([^/]+)\/([^/]+)\/(.+)$/,
    name: m => `master_frameworks_${m[3]!}`,
    labels: m => [['framework_name', safeDecode(m[1]!)], ['framework_id', m[2]!]],
  },
  { re: /^allocator\/mesos\/roles\/(.+)\/shares\/dominant$/, name: () => 'allocator_mesos_roles_shares_dominant', labels: m => [['role', m[1]!]] },
  { re: /^allocator\/mesos\/offer_filters\/roles\/(.+)\/active$/, name: () => 'allocator_mesos_offer_filters_roles_active', labels: m => [['role', m[1]!]] },
  {
    re: /^allocator\/mesos\/quota\/roles\/(.+)\/resources\/([^/]+)\/([^/]+)$/,
    name: m => `allocator_mesos_quota_roles_resources_${m[3]!}`,
    labels: m => [['role', m[1]!], ['resource', m[2]!]],
  },
  {
    re: /^master\/task_([a-z_]+)\/source_([a-z_]+)\/reason_([a-z_0-9]+)$/,
    name: m => `master_task_${m[1]!}`,
    labels: m => [['source', m[2]!], ['reason', m[3]!]],
  },
]

function safeDecode(s: string): string {
  try { return decodeURIComponent(s) } catch { return s }
}

function sanitize(s: string): string {
  return s.replace(/[^a-zA-Z0-9_]/g, '_')
}

/** The Prometheus family and labels for a Mesos key. */
export function prometheusName(key: string): PrometheusName {
  for (const rule of LABELLED) {
    const m = key.match(rule.re)
    if (m) return { name: PREFIX + sanitize(rule.name(m)), labels: rule.labels(m) }
  }
  return { name: PREFIX + sanitize(key), labels: [] }
}

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Infinity) return '+Inf'
  if (v === -Infinity) return '-Inf'
  return String(v)
}

function labelText(labels: [string, string][]): string {
  return labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}` : ''
}

interface Family {
  type: 'counter' | 'gauge' | 'summary' | 'histogram'
  help: string
  lines: string[]
}

export interface PrometheusInput {
  /** The daemon's /metrics/snapshot, exactly. */
  snapshot: Record<string, number>
  /** The registries that fed it (kinds, help, timers, histograms). */
  registries: RegistryDescription[]
  /** Keys computed on read that Mesos documents as counters (the rest are gauges). */
  isCounter?: (key: string) => boolean
}

/** The exposition text. Families are sorted by name; each appears once with its HELP and TYPE. */
export function renderPrometheus(input: PrometheusInput): string {
  const kinds = new Map<string, MetricKind>()
  const help = new Map<string, string>()
  const timers: Timer[] = []
  const histograms: Histogram[] = []
  for (const r of input.registries) {
    for (const [k, v] of r.kinds) kinds.set(k, v)
    for (const [k, v] of r.help) help.set(k, v)
    timers.push(...r.timers)
    histograms.push(...r.histograms)
  }
  const timerKeys = new Set<string>()
  for (const t of timers) {
    timerKeys.add(t.name)
    for (const s of ['count', 'min', 'max', ...TIMER_PERCENTILES.map(([p]) => p)]) timerKeys.add(`${t.name}/${s}`)
  }

  const families = new Map<string, Family>()
  const family = (name: string, type: Family['type'], helpText: string): Family | undefined => {
    const f = families.get(name)
    if (!f) {
      const created: Family = { type, help: helpText, lines: [] }
      families.set(name, created)
      return created
    }
    // Two keys that sanitize to one name with different kinds: the first wins, the other is left out rather than
    // producing an exposition Prometheus rejects.
    return f.type === type ? f : undefined
  }
  const seen = new Set<string>()

  for (const key of Object.keys(input.snapshot).sort()) {
    if (timerKeys.has(key)) continue
    const value = input.snapshot[key]!
    const { name, labels } = prometheusName(key)
    const series = name + labelText(labels)
    if (seen.has(series)) continue
    seen.add(series)
    const kind = kinds.get(key) ?? (input.isCounter?.(key) ? 'counter' : 'gauge')
    const f = family(name, kind === 'counter' ? 'counter' : 'gauge', help.get(key) ?? `Mesos metric ${labels.length ? key.replace(/\/[^/]*$/, '/…') : key}`)
    f?.lines.push(`${series} ${formatValue(value)}`)
  }

  for (const t of timers) {
    if (!(t.name in input.snapshot)) continue
    const { name, labels } = prometheusName(t.name)
    const f = family(name, 'summary', t.help || `Mesos timer ${t.name} (milliseconds)`)
    if (!f) continue
    // An empty window has no quantiles: NaN, as Prometheus client libraries write it.
    const empty = !input.snapshot[`${t.name}/count`]
    for (const [suffix, p] of TIMER_PERCENTILES) {
      const v = input.snapshot[`${t.name}/${suffix}`] ?? NaN
      f.lines.push(`${name}${labelText([...labels, ['quantile', String(p)]])} ${formatValue(empty ? NaN : v)}`)
    }
    f.lines.push(`${name}_sum${labelText(labels)} ${formatValue(t.sum)}`)
    f.lines.push(`${name}_count${labelText(labels)} ${formatValue(t.total)}`)
  }

  for (const h of histograms) {
    const name = PREFIX + h.name
    const f = family(name, 'histogram', h.help)
    if (!f) continue
    for (const [le, n] of h.buckets()) f.lines.push(`${name}_bucket{le="${formatValue(le)}"} ${formatValue(n)}`)
    f.lines.push(`${name}_sum ${formatValue(h.sum)}`)
    f.lines.push(`${name}_count ${formatValue(h.count)}`)
  }

  const out: string[] = []
  for (const name of [...families.keys()].sort()) {
    const f = families.get(name)!
    out.push(`# HELP ${name} ${escapeHelp(f.help)}`, `# TYPE ${name} ${f.type}`, ...f.lines)
  }
  return out.join('\n') + '\n'
}
