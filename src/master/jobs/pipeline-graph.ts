// The jobs' dependency graph (Metronome's JobSpec `dependencies`): validation on create and update (unknown jobs,
// cycles), what a pipeline run of a job contains (the job and everything it depends on, transitively), in which
// order, and who depends on a job (a job others depend on cannot be deleted). Pure.

import { SpecError, type JobSpec } from './job-spec.ts'

export type SpecIndex = ReadonlyMap<string, Pick<JobSpec, 'id' | 'dependencies'>>

/**
 * Checks `spec`'s dependencies against the other jobs (`all`, which may hold the spec's previous version): every id
 * must name an existing job, and the graph must stay acyclic. Throws SpecError with path /dependencies.
 */
export function validateDependencies(spec: Pick<JobSpec, 'id' | 'dependencies'>, all: SpecIndex): void {
  const errors: string[] = []
  const unknown = spec.dependencies.map(d => d.id).filter(id => id !== spec.id && !all.has(id))
  if (unknown.length) errors.push(`Dependencies contain unknown jobs. unknown=[${unknown.join(', ')}]`)
  const index = new Map(all)
  index.set(spec.id, spec)
  const cycle = findCycle(spec.id, index)
  if (cycle) errors.push(`Dependencies have a cycle: ${cycle.join(' -> ')}`)
  if (errors.length) throw new SpecError([{ path: '/dependencies', errors }])
}

/** A dependency path from `start` back to itself, or undefined. */
function findCycle(start: string, index: SpecIndex): string[] | undefined {
  const seen = new Set<string>()
  const walk = (id: string, path: string[]): string[] | undefined => {
    for (const d of index.get(id)?.dependencies ?? []) {
      if (d.id === start) return [...path, d.id]
      if (seen.has(d.id)) continue
      seen.add(d.id)
      const found = walk(d.id, [...path, d.id])
      if (found) return found
    }
    return undefined
  }
  return walk(start, [start])
}

/** The jobs a pipeline run of `jobId` runs: the job and its transitive dependencies, in a topological order. */
export function pipelineSteps(jobId: string, index: SpecIndex): { jobId: string; dependencies: string[] }[] {
  const order: string[] = []
  const done = new Set<string>()
  const visit = (id: string) => {
    if (done.has(id)) return
    done.add(id)
    for (const d of index.get(id)?.dependencies ?? []) visit(d.id)
    order.push(id)
  }
  visit(jobId)
  return order.map(id => ({ jobId: id, dependencies: (index.get(id)?.dependencies ?? []).map(d => d.id) }))
}

/** The jobs that depend on `jobId` directly (Metronome refuses to delete a job that has any). */
export function dependentsOf(jobId: string, index: SpecIndex): string[] {
  return [...index.values()].filter(s => s.dependencies.some(d => d.id === jobId)).map(s => s.id)
}
