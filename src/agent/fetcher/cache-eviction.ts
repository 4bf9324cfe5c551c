// Which fetcher cache entries make room for a new download: Mesos' FetcherProcess::Cache::selectVictims. Entries are
// walked least recently used first; entries in use (referenced by a fetch in progress) are never chosen; the walk
// stops as soon as the chosen entries free `required` bytes. Pure.

export interface EvictionCandidate { size: number; referenced: boolean }

/** The victims, in LRU order, or undefined when even evicting every unused entry would not free `required`. */
export function selectVictims<T extends EvictionCandidate>(lruFirst: readonly T[], required: number): T[] | undefined {
  if (required <= 0) return []
  const victims: T[] = []
  let freed = 0
  for (const entry of lruFirst) {
    if (entry.referenced) continue
    victims.push(entry)
    freed += entry.size
    if (freed >= required) return victims
  }
  return undefined
}
