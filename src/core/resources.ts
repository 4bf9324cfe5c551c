// Mesos resources: named SCALAR / RANGES / SET quantities, optionally reserved for a role, allocated to a role,
// revocable or shared. Kept internally in the "post-refinement" form (a `reservations` stack); the pre-refinement
// form (`role` + `reservation`) is accepted on input and produced on output for clients that need it.
// Scalars use Mesos' fixed point: values are rounded to 0.001 whenever they are combined.

export interface ReservationInfo {
  type?: 'UNKNOWN' | 'STATIC' | 'DYNAMIC'
  role?: string
  principal?: string
  labels?: { labels?: { key: string; value?: string }[] }
}

export interface Range { begin: number; end: number }

export interface Resource {
  provider_id?: { value: string }
  name: string
  type: 'SCALAR' | 'RANGES' | 'SET' | 'TEXT'
  scalar?: { value: number }
  ranges?: { range?: Range[] }
  set?: { item?: string[] }
  role?: string
  allocation_info?: { role?: string }
  reservation?: ReservationInfo
  reservations?: ReservationInfo[]
  disk?: Record<string, unknown>
  revocable?: Record<string, never>
  shared?: Record<string, never>
}

export class ResourceError extends Error {}

const round3 = (v: number) => Math.round(v * 1000) / 1000

/** The role a resource is reserved for, `*` when unreserved. */
export function reservationRole(r: Resource): string {
  const rs = r.reservations
  if (rs && rs.length) return rs[rs.length - 1]!.role ?? '*'
  return r.role && r.role !== '*' ? r.role : '*'
}

/** Converts pre-refinement input (`role` / `reservation`) to the internal `reservations` form; copies. */
export function normalizeResource(r: Resource): Resource {
  const out: Resource = { ...r }
  if (out.scalar) out.scalar = { value: round3(out.scalar.value) }
  if (out.ranges) out.ranges = { range: mergeRanges(out.ranges.range ?? []) }
  if (out.set) out.set = { item: [...new Set(out.set.item ?? [])].sort() }
  if (!out.reservations?.length && out.role && out.role !== '*') {
    const res: ReservationInfo = { type: r.reservation ? 'DYNAMIC' : 'STATIC', role: out.role }
    if (r.reservation?.principal) res.principal = r.reservation.principal
    if (r.reservation?.labels) res.labels = r.reservation.labels
    out.reservations = [res]
  }
  delete out.role
  delete out.reservation
  if (out.reservations && !out.reservations.length) delete out.reservations
  // Identity (keyOf) is the JSON of these: one key order, whatever order the client wrote them in, so that a volume
  // or reservation named by a framework matches the one the master keeps.
  if (out.reservations) out.reservations = out.reservations.map(canonicalReservation)
  if (out.disk) out.disk = canonicalJson(out.disk) as Record<string, unknown>
  return out
}

function canonicalReservation(res: ReservationInfo): ReservationInfo {
  const out: ReservationInfo = {}
  if (res.type !== undefined) out.type = res.type
  if (res.role !== undefined) out.role = res.role
  if (res.principal !== undefined) out.principal = res.principal
  if (res.labels !== undefined) out.labels = res.labels
  return out
}

/** Objects with their keys sorted, recursively (arrays keep their order). */
function canonicalJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonicalJson)
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(v).sort()) out[k] = canonicalJson((v as Record<string, unknown>)[k])
    return out
  }
  return v
}

/** Identity for merging: everything but the quantity. */
function keyOf(r: Resource): string {
  let k = r.name + '\u0000' + r.type
  if (r.reservations?.length) k += '\u0000R' + JSON.stringify(r.reservations)
  if (r.disk) k += '\u0000D' + JSON.stringify(r.disk)
  if (r.revocable) k += '\u0000V'
  if (r.shared) k += '\u0000S'
  if (r.provider_id) k += '\u0000P' + r.provider_id.value
  // Last, so that re-stamping an entry for another role only swaps this suffix (see `restamp`).
  if (r.allocation_info?.role !== undefined) k += '\u0000A' + r.allocation_info.role
  return k
}

/**
 * Interned `base + allocation suffix` keys. Offers stamp the same few keys (cpus, mem, ports, …) with the same few
 * roles over and over; reusing the strings spares building and hashing new ones for every offer. Bounded: cleared
 * when it grows past a size no real cluster's set of distinct resource identities reaches.
 */
const stampedKeys = new Map<string, Map<string, string>>()
let stampedKeyCount = 0

function stampedKey(base: string, role: string | undefined): string {
  if (role === undefined) return base
  let byRole = stampedKeys.get(base)
  if (!byRole) stampedKeys.set(base, byRole = new Map())
  let k = byRole.get(role)
  if (k === undefined) {
    if (++stampedKeyCount > 50_000) {
      stampedKeys.clear()
      stampedKeys.set(base, byRole = new Map())
      stampedKeyCount = 1
    }
    byRole.set(role, k = base + '\u0000A' + role)
  }
  return k
}

/** `keyOf(r)` without its allocation suffix, computed from the key itself. */
function unstampedKey(key: string, r: Resource): string {
  const role = r.allocation_info?.role
  return role === undefined ? key : key.slice(0, key.length - 2 - role.length)
}

function isEmptyResource(r: Resource): boolean {
  switch (r.type) {
    case 'SCALAR': return !r.scalar || r.scalar.value <= 0
    case 'RANGES': return !r.ranges?.range?.length
    case 'SET': return !r.set?.item?.length
    default: return false
  }
}

export function mergeRanges(ranges: Range[]): Range[] {
  if (ranges.length <= 1) return ranges.map(r => ({ begin: r.begin, end: r.end }))
  const sorted = ranges.map(r => ({ begin: r.begin, end: r.end })).sort((a, b) => a.begin - b.begin)
  const out: Range[] = [sorted[0]!]
  for (let i = 1; i < sorted.length; i++) {
    const cur = sorted[i]!
    const last = out[out.length - 1]!
    if (cur.begin <= last.end + 1) last.end = Math.max(last.end, cur.end)
    else out.push(cur)
  }
  return out
}

function subtractRanges(a: Range[], b: Range[]): Range[] {
  let out = a.map(r => ({ ...r }))
  for (const s of b) {
    const next: Range[] = []
    for (const r of out) {
      if (s.end < r.begin || s.begin > r.end) { next.push(r); continue }
      if (s.begin > r.begin) next.push({ begin: r.begin, end: s.begin - 1 })
      if (s.end < r.end) next.push({ begin: s.end + 1, end: r.end })
    }
    out = next
  }
  return out
}

function rangesContain(a: Range[], b: Range[]): boolean {
  return b.every(s => a.some(r => r.begin <= s.begin && s.end <= r.end))
}

function addInto(target: Resource, r: Resource) {
  switch (target.type) {
    case 'SCALAR': target.scalar = { value: round3((target.scalar?.value ?? 0) + (r.scalar?.value ?? 0)) }; break
    case 'RANGES': target.ranges = { range: mergeRanges([...(target.ranges?.range ?? []), ...(r.ranges?.range ?? [])]) }; break
    case 'SET': target.set = { item: [...new Set([...(target.set?.item ?? []), ...(r.set?.item ?? [])])].sort() }; break
  }
}

function subtractFrom(target: Resource, r: Resource) {
  switch (target.type) {
    case 'SCALAR': target.scalar = { value: round3((target.scalar?.value ?? 0) - (r.scalar?.value ?? 0)) }; break
    case 'RANGES': target.ranges = { range: subtractRanges(target.ranges?.range ?? [], r.ranges?.range ?? []) }; break
    case 'SET': {
      const drop = new Set(r.set?.item ?? [])
      target.set = { item: (target.set?.item ?? []).filter(i => !drop.has(i)) }
      break
    }
  }
}

function containsOne(have: Resource, want: Resource): boolean {
  switch (want.type) {
    case 'SCALAR': return round3((have.scalar?.value ?? 0) - (want.scalar?.value ?? 0)) >= 0
    case 'RANGES': return rangesContain(have.ranges?.range ?? [], want.ranges?.range ?? [])
    case 'SET': { const s = new Set(have.set?.item ?? []); return (want.set?.item ?? []).every(i => s.has(i)) }
    default: return true
  }
}

function cloneResource(r: Resource): Resource {
  const c: Resource = { ...r }
  if (r.scalar) c.scalar = { value: r.scalar.value }
  if (r.ranges) c.ranges = { range: (r.ranges.range ?? []).map(x => ({ begin: x.begin, end: x.end })) }
  if (r.set) c.set = { item: [...(r.set.item ?? [])] }
  return c
}

/** An immutable, merged bag of resources. */
export class Resources {
  private constructor(private readonly byKey: Map<string, Resource>) {}

  static readonly EMPTY = new Resources(new Map())

  static of(list: readonly Resource[] | undefined): Resources {
    const m = new Map<string, Resource>()
    for (const raw of list ?? []) {
      const r = normalizeResource(raw)
      if (isEmptyResource(r)) continue
      const k = keyOf(r)
      const have = m.get(k)
      if (have) addInto(have, r)
      else m.set(k, cloneResource(r))
    }
    return new Resources(m)
  }

  /**
   * The sum of many bags, built in one map: folding with `plus` would copy the growing total once per term, and the
   * master sums every task of an agent or framework for each state request.
   */
  static sum(items: Iterable<Resources>): Resources {
    let first: Resources | undefined
    let m: Map<string, Resource> | undefined
    for (const r of items) {
      if (r.isEmpty) continue
      if (!first) { first = r; continue }
      if (!m) {
        m = new Map()
        for (const [k, x] of first.byKey) m.set(k, cloneResource(x))
      }
      for (const [k, x] of r.byKey) {
        const have = m.get(k)
        if (have) addInto(have, x)
        else m.set(k, cloneResource(x))
      }
    }
    return m ? new Resources(m) : first ?? Resources.EMPTY
  }

  get list(): Resource[] { return [...this.byKey.values()] }
  get isEmpty(): boolean { return this.byKey.size === 0 }

  plus(other: Resources): Resources {
    if (other.isEmpty) return this
    // Immutable, so the other operand itself is the sum; the allocator adds into empty bags constantly.
    if (this.isEmpty) return other
    const m = new Map<string, Resource>()
    for (const [k, r] of this.byKey) m.set(k, cloneResource(r))
    for (const [k, r] of other.byKey) {
      const have = m.get(k)
      if (have) addInto(have, r)
      else m.set(k, cloneResource(r))
    }
    return new Resources(m)
  }

  /** Subtracts what exists; quantities never go below zero. Use `contains` first when that matters. */
  minus(other: Resources): Resources {
    if (other.isEmpty) return this
    const m = new Map<string, Resource>()
    for (const [k, r] of this.byKey) m.set(k, cloneResource(r))
    for (const [k, r] of other.byKey) {
      const have = m.get(k)
      if (!have) continue
      subtractFrom(have, r)
      if (isEmptyResource(have)) m.delete(k)
    }
    return new Resources(m)
  }

  contains(other: Resources): boolean {
    for (const [k, r] of other.byKey) {
      const have = this.byKey.get(k)
      if (!have || !containsOne(have, r)) return false
    }
    return true
  }

  equals(other: Resources): boolean {
    return this.byKey.size === other.byKey.size && this.contains(other) && other.contains(this)
  }

  filter(pred: (r: Resource) => boolean): Resources {
    const m = new Map<string, Resource>()
    for (const [k, r] of this.byKey) if (pred(r)) m.set(k, r)
    return new Resources(m)
  }

  /** Sum of a scalar across reservations/allocations. */
  scalar(name: string): number {
    let v = 0
    for (const r of this.byKey.values()) if (r.name === name && r.type === 'SCALAR') v += r.scalar?.value ?? 0
    return round3(v)
  }

  ranges(name: string): Range[] {
    const all: Range[] = []
    for (const r of this.byKey.values()) if (r.name === name && r.type === 'RANGES') all.push(...(r.ranges?.range ?? []))
    return mergeRanges(all)
  }

  names(): Set<string> { return new Set([...this.byKey.values()].map(r => r.name)) }

  /** The same resources stamped as allocated to `role`. */
  allocatedTo(role: string): Resources {
    return this.restamp(role)
  }

  /** The same resources with allocation info removed (back into the agent's pool). */
  unallocated(): Resources {
    let stamped = false
    for (const r of this.byKey.values()) if (r.allocation_info) { stamped = true; break }
    if (!stamped) return this
    return this.restamp(undefined)
  }

  /**
   * Copies every entry with its allocation info set to `role` (removed when undefined), merging entries that now
   * share a key. Entries are already normalized and non-empty, so this skips the re-normalization `Resources.of`
   * would do; the allocator calls it for every offer and every recovery.
   */
  private restamp(role: string | undefined): Resources {
    const m = new Map<string, Resource>()
    for (const [key, r] of this.byKey) {
      const c = cloneResource(r)
      if (role === undefined) delete c.allocation_info
      else c.allocation_info = { role }
      const k = stampedKey(unstampedKey(key, r), role)
      const have = m.get(k)
      if (have) addInto(have, c)
      else m.set(k, c)
    }
    return new Resources(m)
  }

  unreserved(): Resources { return this.filter(r => !r.reservations?.length) }
  reservedFor(role: string): Resources { return this.filter(r => reservationRole(r) === role) }

  /**
   * Wire form for a client. Without RESERVATION_REFINEMENT, Mesos shows the pre-refinement form and always sets
   * `role` explicitly (`"*"` when unreserved).
   */
  toWire(refinement = false): Resource[] {
    const out: Resource[] = []
    for (const r of this.byKey.values()) out.push(toWireResource(r, refinement))
    return out
  }

  /** v0 JSON: `{"cpus":1.0,"gpus":0.0,"mem":128.0,"disk":0.0,"ports":"[31000-31005]"}`. */
  flatten(): Record<string, number | string> {
    return flattenResources(this.list)
  }

  toString(): string { return formatResources(this.list) }
}

export function toWireResource(r: Resource, refinement: boolean): Resource {
  if (refinement) return r
  const out: Resource = { ...r }
  const rs = r.reservations
  delete out.reservations
  if (rs && rs.length) {
    const top = rs[rs.length - 1]!
    out.role = top.role ?? '*'
    if (top.type === 'DYNAMIC') {
      const res: ReservationInfo = {}
      if (top.principal) res.principal = top.principal
      if (top.labels) res.labels = top.labels
      out.reservation = res
    }
  } else {
    out.role = '*'
  }
  return out
}

export function flattenResources(list: readonly Resource[]): Record<string, number | string> {
  const out: Record<string, number | string> = { cpus: 0, gpus: 0, mem: 0, disk: 0 }
  const ranges = new Map<string, Range[]>()
  const sets = new Map<string, string[]>()
  for (const r of list) {
    const name = r.revocable ? `${r.name}_revocable` : r.name
    if (r.type === 'SCALAR') out[name] = round3(((out[name] as number) ?? 0) + (r.scalar?.value ?? 0))
    else if (r.type === 'RANGES') ranges.set(name, [...(ranges.get(name) ?? []), ...(r.ranges?.range ?? [])])
    else if (r.type === 'SET') sets.set(name, [...(sets.get(name) ?? []), ...(r.set?.item ?? [])])
  }
  for (const [name, rs] of ranges) out[name] = formatRanges(mergeRanges(rs))
  for (const [name, items] of sets) out[name] = `{${[...new Set(items)].join(', ')}}`
  return out
}

export function formatRanges(rs: Range[]): string {
  return `[${rs.map(r => `${r.begin}-${r.end}`).join(', ')}]`
}

export function formatResources(list: readonly Resource[]): string {
  return list.map(r => {
    const role = reservationRole(r)
    const name = role === '*' ? r.name : `${r.name}(${role})`
    if (r.type === 'SCALAR') return `${name}:${r.scalar?.value ?? 0}`
    if (r.type === 'RANGES') return `${name}:${formatRanges(r.ranges?.range ?? [])}`
    if (r.type === 'SET') return `${name}:{${(r.set?.item ?? []).join(',')}}`
    return name
  }).join(';')
}

/**
 * Parses agent `--resources`: Mesos text syntax (`cpus:4;mem:8192;ports:[31000-32000];cpus(role):2;disks:{a,b}`)
 * or a JSON array of Resource objects. `defaultRole` applies to entries without an explicit role.
 */
export function parseResourcesFlag(text: string, defaultRole = '*'): Resource[] {
  const trimmed = text.trim()
  if (trimmed.startsWith('[')) {
    let list: unknown
    try { list = JSON.parse(trimmed) } catch (err) { throw new ResourceError(`invalid JSON resources: ${(err as Error).message}`) }
    if (!Array.isArray(list)) throw new ResourceError('JSON resources must be an array')
    const out = (list as Resource[]).map(r => normalizeResource(r))
    validateResources(out)
    return out
  }
  const out: Resource[] = []
  for (const part of trimmed.split(';')) {
    if (!part.trim()) continue
    const m = /^\s*([^:(\s]+)\s*(?:\(([^)]*)\))?\s*:\s*(.+?)\s*$/.exec(part)
    if (!m) throw new ResourceError(`bad resource '${part}': expected name:value`)
    const [, name, roleRaw, value] = m
    const role = roleRaw ?? defaultRole
    let r: Resource
    if (value!.startsWith('[')) {
      if (!value!.endsWith(']')) throw new ResourceError(`bad ranges for '${name}': ${value}`)
      const range = value!.slice(1, -1).split(',').filter(s => s.trim()).map(s => {
        const rm = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(s)
        if (!rm) throw new ResourceError(`bad range '${s.trim()}' for '${name}'`)
        return { begin: Number(rm[1]), end: Number(rm[2]) }
      })
      r = { name: name!, type: 'RANGES', ranges: { range } }
    } else if (value!.startsWith('{')) {
      if (!value!.endsWith('}')) throw new ResourceError(`bad set for '${name}': ${value}`)
      r = { name: name!, type: 'SET', set: { item: value!.slice(1, -1).split(',').map(s => s.trim()).filter(Boolean) } }
    } else {
      const v = Number(value)
      if (!Number.isFinite(v)) throw new ResourceError(`bad scalar '${value}' for '${name}'`)
      r = { name: name!, type: 'SCALAR', scalar: { value: v } }
    }
    if (role !== '*') r.reservations = [{ type: 'STATIC', role }]
    out.push(r)
  }
  validateResources(out)
  return out
}

/** Mesos-style validation; throws ResourceError naming the first bad resource. */
export function validateResources(list: readonly Resource[]): void {
  for (const r of list) {
    if (!r || typeof r.name !== 'string' || !r.name) throw new ResourceError('Empty resource name')
    switch (r.type) {
      case 'SCALAR':
        if (!r.scalar || !Number.isFinite(r.scalar.value) || r.scalar.value < 0) {
          throw new ResourceError(`Invalid scalar resource ${r.name}: ${r.scalar?.value}`)
        }
        if (r.ranges || r.set) throw new ResourceError(`Invalid scalar resource ${r.name}: has ranges or set`)
        break
      case 'RANGES':
        if (!r.ranges) throw new ResourceError(`Invalid ranges resource ${r.name}: missing ranges`)
        for (const x of r.ranges.range ?? []) {
          if (!(x.begin <= x.end)) throw new ResourceError(`Invalid range [${x.begin}-${x.end}] in resource ${r.name}`)
        }
        break
      case 'SET':
        if (!r.set) throw new ResourceError(`Invalid set resource ${r.name}: missing set`)
        break
      default:
        throw new ResourceError(`Unsupported resource type ${r.type} for ${r.name}`)
    }
    if (r.name === 'gpus' && r.scalar && !Number.isInteger(r.scalar.value)) {
      throw new ResourceError(`The 'gpus' resource must be an unsigned integer, got ${r.scalar.value}`)
    }
  }
}
