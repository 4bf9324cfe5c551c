// What `meso job create FILE` reads: one Metronome job spec, or several (a JSON array, a YAML list, or YAML
// documents separated by `---`), in JSON or YAML. A file holding a whole pipeline is created in dependency order,
// so each job's dependencies exist before it does. Pure: text in, specs out; the server validates the specs.

import type { JobSpec } from './jobs.ts'

/** A job file larger than this is refused before parsing (a spec is a few hundred bytes). */
export const MAX_JOB_FILE_BYTES = 4 << 20
/** At most this many jobs in one file. */
export const MAX_JOBS_PER_FILE = 1000

export class JobFileError extends Error {}

/** The specs in `text` (read from `source`, for messages), in an order that creates dependencies first. */
export function parseJobSpecs(text: string, source: string): JobSpec[] {
  if (!text.trim()) throw new JobFileError(`${source} is empty; expected a job spec in JSON or YAML`)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (jsonErr) {
    // YAML (flow style `{id: x}` included); the error reported is the one of the language the text looks like.
    try { value = Bun.YAML.parse(text) } catch (yamlErr) {
      if (/^\s*[[{]/.test(text)) throw new JobFileError(`${source} is not valid JSON: ${(jsonErr as Error).message}`)
      throw new JobFileError(`${source} is not valid YAML: ${(yamlErr as Error).message}`)
    }
  }
  const list = Array.isArray(value) ? value : [value]
  if (!list.length) throw new JobFileError(`${source} holds no job spec`)
  if (list.length > MAX_JOBS_PER_FILE) throw new JobFileError(`${source} holds ${list.length} jobs; at most ${MAX_JOBS_PER_FILE} a file`)
  const specs = list.map((item, i) => {
    const where = list.length > 1 ? `job #${i + 1} of ${source}` : source
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw new JobFileError(`${where} is not a job spec (an object with "id" and "run")`)
    const id = (item as { id?: unknown }).id
    if (typeof id !== 'string' || !id) throw new JobFileError(`${where} has no "id"`)
    const deps = (item as { dependencies?: unknown }).dependencies
    if (deps !== undefined && !(Array.isArray(deps) && deps.every(d => d && typeof d === 'object' && typeof (d as { id?: unknown }).id === 'string'))) {
      throw new JobFileError(`job '${id}' in ${source}: "dependencies" must be a list of {"id": "<job id>"}`)
    }
    return item as JobSpec
  })
  return creationOrder(specs, source)
}

/** Dependencies within the file first (those outside it must exist already); a cycle within the file is refused. */
function creationOrder(specs: JobSpec[], source: string): JobSpec[] {
  const byId = new Map<string, JobSpec>()
  for (const s of specs) {
    if (byId.has(s.id)) throw new JobFileError(`${source} defines job '${s.id}' twice`)
    byId.set(s.id, s)
  }
  const out: JobSpec[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (s: JobSpec, path: string[]) => {
    const st = state.get(s.id)
    if (st === 'done') return
    if (st === 'visiting') throw new JobFileError(`${source}: the dependencies form a cycle: ${[...path.slice(path.indexOf(s.id)), s.id].join(' → ')}`)
    state.set(s.id, 'visiting')
    for (const d of s.dependencies ?? []) {
      const dep = byId.get(d.id)
      if (dep) visit(dep, [...path, s.id])
    }
    state.set(s.id, 'done')
    out.push(s)
  }
  for (const s of specs) visit(s, [])
  return out
}
