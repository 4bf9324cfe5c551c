// What an agent offers when --resources does not say: all cores, memory and disk minus what the host keeps for
// itself (Mesos' defaults: leave min(1 GB, 50 %) of memory and min(5 GB, 50 %) of the disk's size), ports
// 31000-32000.
// Anything given in --resources wins for that name.

import { statfsSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { parseResourcesFlag, Resources, type Resource } from '../core/resources.ts'
import type { Attribute } from '../core/v1/messages.ts'

const MB = 1024 * 1024

export function detectResources(workDir: string, flag: string | undefined, defaultRole = '*'): Resources {
  const given = flag ? parseResourcesFlag(flag, defaultRole) : []
  const names = new Set(given.map(r => r.name))
  const auto: Resource[] = []
  if (!names.has('cpus')) auto.push({ name: 'cpus', type: 'SCALAR', scalar: { value: cpus().length } })
  if (!names.has('mem')) {
    const total = totalmem() / MB
    auto.push({ name: 'mem', type: 'SCALAR', scalar: { value: Math.floor(total - Math.min(1024, total / 2)) } })
  }
  if (!names.has('disk')) {
    // The filesystem's capacity, not its free space: the value must not drift between agent restarts.
    let size = 0
    try { const s = statfsSync(workDir); size = (s.blocks * s.bsize) / MB } catch { /* unknown */ }
    auto.push({ name: 'disk', type: 'SCALAR', scalar: { value: Math.floor(Math.max(0, size - Math.min(5120, size / 2))) } })
  }
  if (!names.has('ports')) auto.push({ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 32000 }] } })
  const withRole = auto.map(r => (defaultRole === '*' ? r : { ...r, reservations: [{ type: 'STATIC' as const, role: defaultRole }] }))
  return Resources.of([...withRole, ...given])
}

/** `--attributes=rack:r1;zone:z2;cores:8;ids:[1-3];tags:{a,b}` */
export function parseAttributes(text: string | undefined): Attribute[] {
  if (!text) return []
  return text.split(';').filter(s => s.trim()).map(part => {
    const i = part.indexOf(':')
    if (i <= 0) throw new Error(`--attributes: bad entry '${part}' (expected name:value)`)
    const name = part.slice(0, i).trim()
    const value = part.slice(i + 1).trim()
    if (/^-?\d+(\.\d+)?$/.test(value)) return { name, type: 'SCALAR', scalar: { value: Number(value) } }
    if (value.startsWith('[') && value.endsWith(']')) {
      return { name, type: 'RANGES', ranges: { range: value.slice(1, -1).split(',').map(r => { const [b, e] = r.split('-').map(Number); return { begin: b!, end: e ?? b! } }) } }
    }
    if (value.startsWith('{') && value.endsWith('}')) return { name, type: 'SET', set: { item: value.slice(1, -1).split(',').map(s => s.trim()) } }
    return { name, type: 'TEXT', text: { value } }
  })
}
