// The records meso's DNS serves, kept per owner (a task, an agent, the masters) so that one owner's records are
// replaced or removed without touching the rest. A name may get the same record from several owners (two tasks
// named `web` on one agent): it is served once and stays until its last owner drops it, as Mesos-DNS' record sets
// are sets. Pure.

export type RecordType = 'A' | 'AAAA' | 'SRV'

export interface DnsRecord {
  /** Lower case, without the trailing dot. */
  name: string
  type: RecordType
  /** A/AAAA: the address; SRV: `target:port` with the target without its trailing dot. */
  value: string
}

export class RecordSet {
  /** name → `type value` → how many owners hold that record. */
  private readonly byName = new Map<string, Map<string, { record: DnsRecord; owners: number }>>()
  private readonly owned = new Map<string, DnsRecord[]>()
  /** Bumped on every change; the SOA serial. */
  serial = 0

  get owners(): number { return this.owned.size }
  get names(): number { return this.byName.size }

  replace(owner: string, records: DnsRecord[]): void {
    const before = this.owned.get(owner)
    if (before && sameRecords(before, records)) return
    if (before) this.drop(before)
    if (records.length) {
      this.owned.set(owner, records)
      for (const r of records) {
        let m = this.byName.get(r.name)
        if (!m) { m = new Map(); this.byName.set(r.name, m) }
        const key = `${r.type} ${r.value}`
        const have = m.get(key)
        if (have) have.owners++
        else m.set(key, { record: r, owners: 1 })
      }
    } else this.owned.delete(owner)
    this.serial++
  }

  remove(owner: string): void {
    const before = this.owned.get(owner)
    if (!before) return
    this.drop(before)
    this.owned.delete(owner)
    this.serial++
  }

  /** Owners whose key starts with `prefix` (a framework's tasks: `task:<framework id>/`). */
  ownersWithPrefix(prefix: string): string[] {
    return [...this.owned.keys()].filter(k => k.startsWith(prefix))
  }

  lookup(name: string, type?: RecordType): DnsRecord[] {
    const m = this.byName.get(name)
    if (!m) return []
    const out: DnsRecord[] = []
    for (const { record } of m.values()) if (!type || record.type === type) out.push(record)
    return out
  }

  has(name: string): boolean { return this.byName.has(name) }

  /** Every name and its records, sorted (the zone for `meso dns` debugging and the benchmark's hosts file). */
  *entries(): Generator<[string, DnsRecord[]]> {
    for (const name of [...this.byName.keys()].sort()) yield [name, this.lookup(name)]
  }

  private drop(records: DnsRecord[]) {
    for (const r of records) {
      const m = this.byName.get(r.name)
      const key = `${r.type} ${r.value}`
      const have = m?.get(key)
      if (!m || !have) continue
      if (--have.owners === 0) m.delete(key)
      if (!m.size) this.byName.delete(r.name)
    }
  }
}

function sameRecords(a: DnsRecord[], b: DnsRecord[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!
    if (x.name !== y.name || x.type !== y.type || x.value !== y.value) return false
  }
  return true
}
