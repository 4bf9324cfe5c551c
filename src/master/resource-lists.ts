// The resource lists the master stores on tasks and executors (wire form, `allocation_info` stamped), shared and
// parsed once. A cluster runs many tasks of the same shape: 100k tasks of `cpus:0.1;mem:32` need one stored list,
// not 100k copies of seven small objects each, and summing an agent's or a framework's tasks for a state request
// should not re-normalise every task's list each time. Stored lists are never modified in place (the master replaces
// `task.resources` when it must), which is what makes both the sharing and the per-list cache safe.

import { Resources, type Resource } from '../core/resources.ts'

const parsed = new WeakMap<readonly Resource[], Resources>()

/** `Resources.of(list)`, remembered per list object. */
export function resourcesOf(list: readonly Resource[] | undefined): Resources {
  if (!list || !list.length) return Resources.EMPTY
  let r = parsed.get(list)
  if (!r) { r = Resources.of(list); parsed.set(list, r) }
  return r
}

const flattened = new WeakMap<readonly Resource[], Record<string, number | string>>()

/**
 * The v0 JSON form (`{"cpus":0.1,"mem":32,…}`) of a list, remembered per list object. Callers only serialise it,
 * so tasks of one shape share one object in a `/master/state` answer.
 */
export function flattenedOf(list: readonly Resource[] | undefined): Record<string, number | string> {
  if (!list) return resourcesOf(list).flatten()
  let f = flattened.get(list)
  if (!f) { f = resourcesOf(list).flatten(); flattened.set(list, f) }
  return f
}

/** Bounded: a cluster has few task shapes; a flood of distinct ones only stops being shared. */
const MAX_SHARED = 10_000
const shared = new Map<string, Resource[]>()

/**
 * One stored list per distinct content. The key is the list's JSON, which is what makes two lists the same for
 * every reader (views, encoders, `Resources.of`).
 */
export function sharedResourceList(list: Resource[]): Resource[] {
  const key = JSON.stringify(list)
  const have = shared.get(key)
  if (have) return have
  if (shared.size >= MAX_SHARED) shared.clear()
  shared.set(key, list)
  return list
}
