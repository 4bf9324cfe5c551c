// Resources as the v1 operator API writes them (arrays of Resource in JSON): sums for the overview and the tables,
// reservations and port ranges for the detail pages. Pure; shared by the views and their tests.

export interface WireResource {
  name: string
  type?: string
  scalar?: { value: number }
  ranges?: { range?: { begin: number; end: number }[] }
  set?: { item?: string[] }
  role?: string
  reservations?: { type?: string; role?: string; principal?: string }[]
  disk?: { persistence?: { id: string }; volume?: { container_path?: string } }
}

/** The four scalars the overview charts. */
export const CHARTED = ['cpus', 'mem', 'disk', 'gpus'] as const
export type Charted = (typeof CHARTED)[number]
export type Scalars = Record<Charted, number>

export const zeroScalars = (): Scalars => ({ cpus: 0, mem: 0, disk: 0, gpus: 0 })

/** Adds the charted scalars of `resources` into `into` (in place, for sums over thousands of tasks). */
export function addScalars(into: Scalars, resources: readonly WireResource[] | undefined): Scalars {
  for (const r of resources ?? []) {
    if (r.scalar && (CHARTED as readonly string[]).includes(r.name)) into[r.name as Charted] += r.scalar.value
  }
  return into
}

export function scalarsOf(resources: readonly WireResource[] | undefined): Scalars {
  return addScalars(zeroScalars(), resources)
}

/** The role a resource is reserved to (the last reservation, as Mesos' refined reservations stack), else '*'. */
export function reservedRole(r: WireResource): string {
  return r.reservations?.at(-1)?.role ?? r.role ?? '*'
}

/** Resources grouped by the role they are reserved to, scalars summed; '*' is unreserved. */
export function byReservation(resources: readonly WireResource[] | undefined): { role: string; scalars: Scalars; ports: string }[] {
  const groups = new Map<string, { scalars: Scalars; ranges: { begin: number; end: number }[] }>()
  for (const r of resources ?? []) {
    const role = reservedRole(r)
    let g = groups.get(role)
    if (!g) groups.set(role, g = { scalars: zeroScalars(), ranges: [] })
    addScalars(g.scalars, [r])
    if (r.name === 'ports') g.ranges.push(...r.ranges?.range ?? [])
  }
  return [...groups].sort(([a], [b]) => (a === '*' ? -1 : b === '*' ? 1 : a.localeCompare(b)))
    .map(([role, g]) => ({ role, scalars: g.scalars, ports: formatRanges(g.ranges) }))
}

/** Port ranges as Mesos prints them: `[31000-31005, 31010-31010]` becomes `31000-31005, 31010`. */
export function formatRanges(ranges: readonly { begin: number; end: number }[]): string {
  return [...ranges].sort((a, b) => a.begin - b.begin).map(r => (r.begin === r.end ? `${r.begin}` : `${r.begin}-${r.end}`)).join(', ')
}

/** The host ports a task holds (its `ports` resources). */
export function portsOf(resources: readonly WireResource[] | undefined): string {
  return formatRanges((resources ?? []).filter(r => r.name === 'ports').flatMap(r => r.ranges?.range ?? []))
}

/** Persistent volumes among `resources`: persistence id, container path, size and role. */
export function volumesOf(resources: readonly WireResource[] | undefined): { id: string; path: string; mb: number; role: string }[] {
  return (resources ?? []).filter(r => r.disk?.persistence).map(r => ({
    id: r.disk!.persistence!.id, path: r.disk!.volume?.container_path ?? '', mb: r.scalar?.value ?? 0, role: reservedRole(r),
  }))
}
