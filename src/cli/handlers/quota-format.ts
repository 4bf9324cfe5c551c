// How the quota commands show quantities: `cpus=2 mem=2048`, names in a fixed order, `-` for none.

type Scalars = Record<string, { value: number }> | undefined

const ORDER = ['cpus', 'mem', 'disk', 'gpus']

export function formatAmounts(m: Scalars): string {
  const entries = Object.entries(m ?? {}).sort(([a], [b]) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99) || (a < b ? -1 : 1))
  return entries.length ? entries.map(([n, s]) => `${n}=${s.value}`).join(' ') : '-'
}

export function formatQuota(guarantees: Scalars, limits: Scalars): string {
  return `guarantee ${formatAmounts(guarantees)}, limit ${Object.keys(limits ?? {}).length ? formatAmounts(limits) : 'none'}`
}
