// Which images and layers to collect. Automatic GC (--image_gc_max_bytes) removes least recently used images until
// the layers still referenced fit the limit; PRUNE_IMAGES / `meso image gc --all` removes every image no container
// uses. Images used by live containers, excluded images and pinned layers (pulls in progress) always stay; layers
// that no remaining image references go. Pure.

export interface GcImage { reference: string; layers: string[]; last_used: number }

export interface GcInput {
  images: GcImage[]
  /** Every layer in the store with its unpacked size. */
  layers: Map<string, number>
  /** References used by live containers. */
  inUse: Set<string>
  excluded: Set<string>
  /** Layers that must stay whatever happens (in-flight pulls, live containers). */
  pinned: Set<string>
}

export interface GcPlan { images: string[]; layers: string[]; freedBytes: number }

/** LRU down to `maxBytes`; `maxBytes = 0` removes every image it may (a prune). */
export function planGc(input: GcInput, maxBytes: number): GcPlan {
  const keep = new Map(input.images.map(i => [i.reference, i]))
  const liveBytes = () => {
    const used = new Set(input.pinned)
    for (const i of keep.values()) for (const l of i.layers) used.add(l)
    let n = 0
    for (const l of used) n += input.layers.get(l) ?? 0
    return n
  }
  const candidates = input.images
    .filter(i => !input.inUse.has(i.reference) && !input.excluded.has(i.reference))
    .sort((a, b) => a.last_used - b.last_used || a.reference.localeCompare(b.reference))
  const removedImages: string[] = []
  for (const c of candidates) {
    if (maxBytes > 0 && liveBytes() <= maxBytes) break
    keep.delete(c.reference)
    removedImages.push(c.reference)
  }
  const referenced = new Set(input.pinned)
  for (const i of keep.values()) for (const l of i.layers) referenced.add(l)
  const removedLayers = [...input.layers.keys()].filter(l => !referenced.has(l)).sort()
  const freedBytes = removedLayers.reduce((n, l) => n + (input.layers.get(l) ?? 0), 0)
  return { images: removedImages, layers: removedLayers, freedBytes }
}

/** Parses a byte size: `1073741824`, `512MB`, `10GB`, `1.5GiB` (units are powers of 1024, as Mesos' Bytes are). */
export function parseBytes(value: string | number | undefined): number {
  if (value === undefined || value === '') return 0
  if (typeof value === 'number') return value
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?I?B?)?\s*$/i.exec(value)
  if (!m) throw new Error(`'${value}' is not a byte size (e.g. 10GB, 512MB, 1073741824)`)
  const unit = (m[2] ?? '').toUpperCase().replace('IB', 'B').replace(/^([KMGT])$/, '$1B')
  const mult: Record<string, number> = { '': 1, B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 }
  if (!(unit in mult)) throw new Error(`'${value}' has an unknown unit`)
  return Math.floor(Number(m[1]) * mult[unit]!)
}
