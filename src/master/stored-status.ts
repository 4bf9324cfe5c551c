// The copy of a TaskStatus the master keeps in `task.statuses`: the same JSON with fewer objects. A master running
// 100k tasks holds 200-300k statuses, and each parsed status is a dozen small objects, most of them equal to objects
// the task already has: its task and agent ids, the previous status's executor and container ids, and network infos
// that are the same few addresses across the whole cluster. Those are shared instead of copied. Nothing in the master
// modifies a stored status or its parts in place, which is what makes sharing them safe.

import type { Task, TaskStatus } from '../core/v1/messages.ts'

/** Bounded: addresses repeat; a flood of distinct ones only stops being shared. */
const MAX_INTERNED = 10_000
const MAX_PER_ADDRESS = 8
/**
 * Interned network infos, bucketed by their first IP address (a string already in the status: no key is built).
 * A bucket holds the distinct values seen with that address, compared by `jsonEqual`: nearly always one, at most
 * MAX_PER_ADDRESS (the oldest makes room), so a status never compares against more than that.
 */
const interned = new Map<string, unknown[]>()
let internedCount = 0

function firstAddress(value: unknown): string {
  const ni = Array.isArray(value) ? value[0] as { ip_addresses?: { ip_address?: unknown }[] } | undefined : undefined
  const ip = Array.isArray(ni?.ip_addresses) ? ni.ip_addresses[0]?.ip_address : undefined
  return typeof ip === 'string' ? ip : ''
}

function intern<T>(value: T): T {
  const key = firstAddress(value)
  const bucket = interned.get(key)
  if (bucket) for (const have of bucket) if (jsonEqual(have, value)) return have as T
  if (internedCount >= MAX_INTERNED) { interned.clear(); internedCount = 0 }
  const fresh = interned.get(key)
  if (!fresh) interned.set(key, [value])
  else if (fresh.length < MAX_PER_ADDRESS) fresh.push(value)
  else { fresh.shift(); fresh.push(value); return value }
  internedCount++
  return value
}

/**
 * `JSON.stringify(a) === JSON.stringify(b)` without building either string (every status update asked this of its
 * container id and network infos; the placement profile charged it to the master): same keys in the same order,
 * keys whose value JSON leaves out skipped, arrays element by element. Anything but plain JSON data (a Date, a
 * class instance, a number JSON writes as null) is settled by the two strings, as before.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  const ta = typeof a
  if (ta !== typeof b) return plainLeaf(a) && plainLeaf(b) ? false : stringEqual(a, b)
  if (ta === 'string' || ta === 'boolean') return false
  if (ta === 'number') return Number.isFinite(a) && Number.isFinite(b) ? false : stringEqual(a, b)
  if (ta !== 'object' || a === null || b === null) return stringEqual(a, b)
  const arr = Array.isArray(a)
  if (arr !== Array.isArray(b)) return stringEqual(a, b)
  if (arr) {
    const x = a as unknown[], y = b as unknown[]
    if (x.length !== y.length) return false
    for (let i = 0; i < x.length; i++) {
      // JSON writes an element it cannot write (undefined, a function) as null.
      const u = x[i], v = y[i]
      if (!jsonEqual(written(u) ? u : null, written(v) ? v : null)) return false
    }
    return true
  }
  if (!isPlainObject(a as object) || !isPlainObject(b as object)) return stringEqual(a, b)
  const kb = Object.keys(b as object)
  let j = 0
  for (const k in a as object) {
    if (!Object.hasOwn(a as object, k)) continue
    const u = (a as Record<string, unknown>)[k]
    if (u === undefined || typeof u === 'function' || typeof u === 'symbol') continue
    let kk = kb[j++]
    while (kk !== undefined && !written((b as Record<string, unknown>)[kk])) kk = kb[j++]
    if (kk !== k || !jsonEqual(u, (b as Record<string, unknown>)[k])) return false
  }
  for (; j < kb.length; j++) if (written((b as Record<string, unknown>)[kb[j]!])) return false
  return true
}

const written = (v: unknown) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol'
const plainLeaf = (v: unknown) => v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))
const stringEqual = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v)
  return (proto === Object.prototype || proto === null) && typeof (v as { toJSON?: unknown }).toJSON !== 'function'
}

const same = (a: unknown, b: unknown) => a === b || (a !== undefined && b !== undefined && jsonEqual(a, b))

export function storedStatus(task: Task, status: TaskStatus): TaskStatus {
  const s: TaskStatus = { ...status }
  if (s.task_id && s.task_id.value === task.task_id.value) s.task_id = task.task_id
  if (s.agent_id && task.agent_id && s.agent_id.value === task.agent_id.value) s.agent_id = task.agent_id
  const prev = task.statuses?.[task.statuses.length - 1]
  if (s.executor_id && prev?.executor_id?.value === s.executor_id.value) s.executor_id = prev.executor_id
  if (s.container_status) {
    const cs = { ...s.container_status }
    const prevCs = prev?.container_status
    if (cs.container_id && prevCs?.container_id && same(cs.container_id, prevCs.container_id)) cs.container_id = prevCs.container_id
    if (cs.network_infos) cs.network_infos = intern(cs.network_infos)
    s.container_status = cs
  }
  return s
}
