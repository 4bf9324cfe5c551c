// Scalar quantities (name → amount) of a bag of resources. DRF shares and --min_allocatable_resources only look at
// how much of each scalar there is, not at reservations, ranges or sets, so the allocator works on these plain maps
// in its hot paths instead of on `Resources`.

import type { Resources } from '../../core/resources.ts'

export type ScalarQuantities = ReadonlyMap<string, number>

/** One alternative of `--min_allocatable_resources`: every named quantity must be met. */
export type MinAllocatableAlternative = Readonly<Record<string, number | undefined>>

/** Mesos' default `--min_allocatable_resources=cpus:0.01|mem:32`. */
export const DEFAULT_MIN_ALLOCATABLE: readonly MinAllocatableAlternative[] = [{ cpus: 0.01 }, { mem: 32 }]

const round3 = (v: number) => Math.round(v * 1000) / 1000

export function scalarQuantities(resources: Resources): Map<string, number> {
  const out = new Map<string, number>()
  for (const r of resources.list) {
    if (r.type !== 'SCALAR') continue
    const v = r.scalar?.value ?? 0
    if (v <= 0) continue
    out.set(r.name, round3((out.get(r.name) ?? 0) + v))
  }
  return out
}

/**
 * `meetsMinAllocatable` with the alternatives fixed up front, for hot loops (no per-call walk over object keys).
 */
export function compileMinAllocatable(alternatives: readonly MinAllocatableAlternative[]): (q: ScalarQuantities) => boolean {
  const compiled = alternatives.map(alt =>
    Object.entries(alt).filter((e): e is [string, number] => e[1] !== undefined))
  if (compiled.length === 0) return () => true
  return q => {
    for (const alt of compiled) {
      let ok = true
      for (const [name, want] of alt) {
        if (round3((q.get(name) ?? 0) - want) < 0) { ok = false; break }
      }
      if (ok) return true
    }
    return false
  }
}

/**
 * True when `q` satisfies at least one alternative (Mesos ORs the `|`-separated alternatives and ANDs the quantities
 * inside one). No alternatives means any non-empty quantity is allocatable.
 */
export function meetsMinAllocatable(q: ScalarQuantities, alternatives: readonly MinAllocatableAlternative[]): boolean {
  return compileMinAllocatable(alternatives)(q)
}
