// The keys Mesos documents (test/fixtures/mesos-metrics-keys.json, taken from upstream docs/monitoring.md) and a
// check of a /metrics/snapshot against them: every key not excluded (with its reason) must be there; a key with
// `<placeholders>` must be there for at least one name.

import fixture from '../fixtures/mesos-metrics-keys.json'

export type Daemon = 'master' | 'agent'

export interface MesosKeys {
  source: string
  master: { key: string; type: 'Gauge' | 'Counter' }[]
  agent: { key: string; type: 'Gauge' | 'Counter' }[]
  excluded: Record<string, string>
  pending: Record<string, string>
}

export const MESOS_KEYS = fixture as MesosKeys

function pattern(key: string): RegExp {
  const parts = key.split(/<[^>]+>/).map(p => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  return new RegExp(`^${parts.join('.+')}$`)
}

/** Documented keys of `daemon` the snapshot lacks (excluded and, unless asked, pending ones aside). */
export function missingKeys(snapshot: Record<string, number>, daemon: Daemon, opts: { skip?: (key: string) => boolean; includePending?: boolean } = {}): string[] {
  const have = Object.keys(snapshot)
  const missing: string[] = []
  // A timer's statistics (`<timer>/count`, `/p50`, …) are listed apart in the document; they go with their timer.
  const base = (key: string) => key.replace(/\/(count|min|max|p50|p90|p95|p99|p999|p9999)$/, '')
  for (const { key } of MESOS_KEYS[daemon]) {
    if (base(key) in MESOS_KEYS.excluded) continue
    if (!opts.includePending && base(key) in MESOS_KEYS.pending) continue
    if (opts.skip?.(base(key))) continue
    if (!key.includes('<')) {
      if (!(key in snapshot)) missing.push(key)
      continue
    }
    const re = pattern(key)
    if (!have.some(k => re.test(k))) missing.push(key)
  }
  return missing
}
