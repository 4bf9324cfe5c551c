// A fuzzer for the daemons' HTTP edge (docs/security-input.md): requests built from valid v1 calls and v0 queries,
// then broken on purpose (mutated JSON values and text, random bytes, deep nesting, long strings and arrays, wrong
// headers and methods, garbage RecordIO and protobuf). Run by the suite (test/e2e/hostile-input.test.ts, a few
// thousand requests) and by bench/fuzz.ts (100,000 and more). A daemon passes when it never dies and never answers
// 5xx other than 501 (a call meso does not implement).

import { message } from '../../src/core/proto/index.ts'
import { encodeMessage } from '../../src/core/proto/binary.ts'

/** mulberry32: small, seedable, good enough to make every run reproducible from its seed. */
export class Rng {
  constructor(private s: number) {}
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  int(n: number): number { return Math.floor(this.next() * n) }
  pick<T>(a: readonly T[]): T { return a[this.int(a.length)]! }
  chance(p: number): boolean { return this.next() < p }
}

export interface FuzzRequest {
  daemon: 'master' | 'agent'
  method: string
  path: string
  headers: Record<string, string>
  body?: Uint8Array | string
  /** What made it, for reports. */
  kind: string
}

const FID = { value: 'e3b0c442-98fc-4c14-9afb-1c8996fb9242-0000' }
const AID = { value: 'a1b2c3d4-1111-2222-3333-444455556666-S0' }
const task = (i: number) => ({
  name: `t${i}`, task_id: { value: `t-${i}` }, agent_id: AID,
  resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 32 } }],
  command: { value: 'true' }, labels: { labels: [{ key: 'k', value: 'v' }] },
})

/** Valid calls to start from; mutations break them. Offer ids never match, so nothing is launched. */
const SCHEDULER_CALLS: Record<string, unknown>[] = [
  { type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'fuzz', name: 'fuzz', roles: ['*'], capabilities: [{ type: 'MULTI_ROLE' }], labels: { labels: [{ key: 'a', value: 'b' }] } } } },
  { type: 'ACCEPT', framework_id: FID, accept: { offer_ids: [{ value: 'no-such-offer' }], operations: [{ type: 'LAUNCH', launch: { task_infos: [task(1), task(2)] } }], filters: { refuse_seconds: 5 } } },
  { type: 'DECLINE', framework_id: FID, decline: { offer_ids: [{ value: 'o1' }] } },
  { type: 'ACKNOWLEDGE', framework_id: FID, acknowledge: { agent_id: AID, task_id: { value: 't-1' }, uuid: 'AAECAwQFBgcICQoLDA0ODw==' } },
  { type: 'KILL', framework_id: FID, kill: { task_id: { value: 't-1' }, kill_policy: { grace_period: { nanoseconds: 1000 } } } },
  { type: 'RECONCILE', framework_id: FID, reconcile: { tasks: [{ task_id: { value: 't-1' }, agent_id: AID }] } },
  { type: 'MESSAGE', framework_id: FID, message: { agent_id: AID, executor_id: { value: 'e' }, data: 'aGk=' } },
  { type: 'UPDATE_FRAMEWORK', framework_id: FID, update_framework: { framework_info: { user: 'fuzz', name: 'fuzz', id: FID } } },
  { type: 'REVIVE', framework_id: FID }, { type: 'TEARDOWN', framework_id: FID }, { type: 'UNKNOWN' },
]
const MASTER_CALLS: Record<string, unknown>[] = [
  { type: 'GET_HEALTH' }, { type: 'GET_FLAGS' }, { type: 'GET_VERSION' }, { type: 'GET_METRICS', get_metrics: { timeout: { nanoseconds: 1000 } } },
  { type: 'GET_STATE' }, { type: 'GET_AGENTS' }, { type: 'GET_FRAMEWORKS' }, { type: 'GET_EXECUTORS' }, { type: 'GET_TASKS' },
  { type: 'GET_ROLES' }, { type: 'GET_WEIGHTS' }, { type: 'GET_MASTER' }, { type: 'GET_OPERATIONS' }, { type: 'GET_QUOTA' },
  { type: 'GET_LOGGING_LEVEL' }, { type: 'LIST_FILES', list_files: { path: '/master/log' } },
  { type: 'READ_FILE', read_file: { path: '/master/log', offset: 0, length: 100 } },
  { type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'fuzz-role', weight: 2 }] } },
  { type: 'TEARDOWN', teardown: { framework_id: FID } }, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: AID } },
  { type: 'DEACTIVATE_AGENT', deactivate_agent: { agent_id: AID } }, { type: 'SUBSCRIBE' }, { type: 'RESERVE_RESOURCES' },
]
const AGENT_CALLS: Record<string, unknown>[] = [
  { type: 'GET_HEALTH' }, { type: 'GET_FLAGS' }, { type: 'GET_STATE' }, { type: 'GET_CONTAINERS', get_containers: { show_nested: true } },
  { type: 'GET_FRAMEWORKS' }, { type: 'GET_EXECUTORS' }, { type: 'GET_TASKS' }, { type: 'GET_AGENT' }, { type: 'GET_METRICS' },
  { type: 'LIST_FILES', list_files: { path: '/slave/log' } }, { type: 'READ_FILE', read_file: { path: '/slave/log', offset: 5, length: 10 } },
  { type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { container_id: { value: 'x', parent: { value: 'no-such' } } } },
  { type: 'KILL_NESTED_CONTAINER', kill_nested_container: { container_id: { value: 'x', parent: { value: 'no-such' } } } },
  { type: 'REMOVE_NESTED_CONTAINER', remove_nested_container: { container_id: { value: 'x', parent: { value: 'no-such' } } } },
  { type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: { value: 'x', parent: { value: 'no-such' } }, command: { value: 'true' } } },
  { type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: { value: 'no-such' } } },
  { type: 'GET_RESOURCE_PROVIDERS' }, { type: 'PRUNE_IMAGES' },
]
const EXECUTOR_CALLS: Record<string, unknown>[] = [
  { type: 'SUBSCRIBE', framework_id: FID, executor_id: { value: 'e' }, subscribe: { unacknowledged_tasks: [task(1)] } },
  { type: 'UPDATE', framework_id: FID, executor_id: { value: 'e' }, update: { status: { task_id: { value: 't' }, state: 'TASK_RUNNING', uuid: 'AAECAwQFBgcICQoLDA0ODw==' } } },
  { type: 'MESSAGE', framework_id: FID, executor_id: { value: 'e' }, message: { data: 'aGk=' } },
  { type: 'HEARTBEAT', framework_id: FID, executor_id: { value: 'e' } },
]

const MASTER_GETS = ['/state', '/master/state', '/state.json', '/master/state-summary', '/master/slaves', '/master/frameworks', '/master/frameworks/x/y',
  '/master/tasks', '/master/roles', '/master/weights', '/master/flags', '/health', '/version', '/metrics/snapshot', '/master/redirect',
  '/files/browse', '/files/read', '/files/download', '/files/debug', '/files/read.json', '/nope', '/', '/master', '/api/v1/x']
const AGENT_GETS = ['/state', '/slave(1)/state', '/flags', '/health', '/version', '/metrics/snapshot', '/monitor/statistics', '/containers',
  '/files/browse', '/files/read', '/files/download', '/files/debug', '/api/meso/v1/networks', '/api/meso/v1/images', '/nope']
const QUERY_KEYS = ['jsonp', 'limit', 'offset', 'order', 'framework_id', 'task_id', 'slave_id', 'path', 'length', 'timeout']
const QUERY_VALUES = ['', '0', '-1', '1e309', 'NaN', '99999999999999999999', 'a.b', 'alert(1)', '../../etc/passwd', '/master/log', '/slave/log',
  '%00', '%ff%fe', 'x'.repeat(5000), 'desc', 'asc', '/proc/self/environ', '/frameworks/x/executors/y/runs/latest/stdout']
const CONTENT_TYPES = ['application/json', 'application/x-protobuf', 'application/recordio', 'text/plain', 'application/json; charset=utf-8',
  'APPLICATION/JSON', '', 'application/json;;;', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded']
const ACCEPTS = ['application/json', 'application/x-protobuf', 'application/recordio', '*/*', 'text/html', 'application/json;q=0', 'a/b, c/d;q=x', '']
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']

const enc = new TextEncoder()

function randomString(r: Rng): string {
  switch (r.int(8)) {
    case 0: return ''
    case 1: return 'x'.repeat(r.pick([256, 1025, 70_000, 300_000]))
    case 2: return String.fromCharCode(...Array.from({ length: 20 }, () => r.int(0x10000)))
    case 3: return r.pick(['.', '..', 'a/b', 'a\\b', '\u0000', '\n', 'TASK_RUNNING', 'SCALAR', 'MULTI_ROLE', '*', 'AAECAwQFBgcICQoLDA0ODw==', 'true', '5e9', '-1', 'Infinity', '-Infinity', 'NaN', '1e999'])
    case 4: return '\ud800'
    default: return Math.random().toString(36).slice(2, 2 + r.int(12))
  }
}

function randomValue(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 3 ? 6 : 9)) {
    case 0: return null
    case 1: return r.chance(0.5)
    case 2: return r.pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, 4294967296, 0.1])
    case 3: case 4: return randomString(r)
    case 5: return {}
    case 6: return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1))
    case 7: return Object.fromEntries(Array.from({ length: r.int(4) }, () => [r.pick(['value', 'type', 'name', 'labels', '__proto__', 'x']), randomValue(r, depth + 1)]))
    default: return Array.from({ length: r.pick([1, 1000, 120_000]) }, () => 0)
  }
}

/** A copy of `v` with one value somewhere replaced, deleted or multiplied. */
function mutate(r: Rng, v: unknown, depth = 0): unknown {
  if (v === null || typeof v !== 'object') return r.chance(0.7) ? randomValue(r) : v
  if (Array.isArray(v)) {
    if (!v.length || r.chance(0.2)) return r.chance(0.5) ? randomValue(r) : [...v, ...v]
    const i = r.int(v.length)
    return v.map((x, j) => (j === i ? mutate(r, x, depth + 1) : x))
  }
  const o = { ...(v as Record<string, unknown>) }
  const keys = Object.keys(o)
  if (!keys.length || r.chance(0.15)) { o[randomString(r).slice(0, 20) || 'k'] = randomValue(r); return o }
  const k = r.pick(keys)
  if (r.chance(0.15)) delete o[k]
  else if (r.chance(0.6) && depth < 8) o[k] = mutate(r, o[k], depth + 1)
  else o[k] = randomValue(r)
  return o
}

function nested(r: Rng): string {
  const n = r.pick([99, 100, 101, 500, 100_000])
  const open = r.pick(['[', '{"a":', '{"framework_info":'])
  return open.repeat(n) + (r.chance(0.5) ? '1' + (open === '[' ? ']' : '}').repeat(n) : '')
}

/** Text-level damage to serialized JSON. */
function damage(r: Rng, text: string): string | Uint8Array {
  switch (r.int(7)) {
    case 0: return text.slice(0, r.int(text.length))
    case 1: { const i = r.int(text.length); return text.slice(0, i) + r.pick(['"', '{', '[', ',', ':', '\\', '\u0000', 'e', '-', ']]]', '}}}']) + text.slice(i) }
    case 2: { const b = enc.encode(text); for (let k = 0; k < 3; k++) b[r.int(b.length)] = r.int(256); return b }
    case 3: return '\ufeff' + text
    case 4: return text.replace(/"type"/, '"type":"X","type"')
    case 5: return text + r.pick(['', ' ', 'x', '{}', '\n\n'])
    default: return text.replace(/:(\d+)/, ':1e999')
  }
}

function body(r: Rng, call: Record<string, unknown>, typeName: string, contentType: string): Uint8Array | string {
  if (contentType === 'application/x-protobuf' || r.chance(0.05)) {
    if (r.chance(0.5)) return Uint8Array.from({ length: r.pick([0, 1, 7, 64, 1000]) }, () => r.int(256))
    try {
      const bytes = encodeMessage(message(typeName), mutate(r, call) as Record<string, unknown>)
      for (let k = 0; k < r.int(3); k++) if (bytes.length) bytes[r.int(bytes.length)] = r.int(256)
      return bytes
    } catch { return enc.encode(JSON.stringify(call)) }
  }
  switch (r.int(10)) {
    case 0: return nested(r)
    case 1: return damage(r, JSON.stringify(call))
    case 2: return JSON.stringify({ ...call, [r.pick(['subscribe', 'accept', 'x'])]: { framework_info: { name: 'n'.repeat(r.pick([2000, 5_000_000])), user: 'u' } } })
    case 3: return JSON.stringify(randomValue(r))
    default: return JSON.stringify(mutate(r, mutate(r, call)))
  }
}

function recordio(r: Rng): string {
  const rec = JSON.stringify(mutate(r, { type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'CONTAINER_ID', container_id: { value: 'no-such' } } }))
  return r.pick([`${rec.length}\n${rec}`, `99999999999\n${rec}`, '-5\nabc', 'abc\n', `${rec.length}\n${rec}\n\n${rec.length}\n${rec}`, '', '0\n', nested(r)])
}

function query(r: Rng): string {
  const n = r.int(4)
  if (!n) return ''
  return '?' + Array.from({ length: n }, () => `${r.pick(QUERY_KEYS)}=${encodeURIComponent(r.pick(QUERY_VALUES))}`).join('&')
}

/** One hostile request for a daemon; `withAgent` adds the agent's endpoints. */
export function fuzzRequest(r: Rng, withAgent: boolean): FuzzRequest {
  const daemon = withAgent && r.chance(0.4) ? 'agent' : 'master'
  const ct = r.chance(0.75) ? 'application/json' : r.pick(CONTENT_TYPES)
  const headers: Record<string, string> = {}
  if (ct) headers['content-type'] = ct
  if (r.chance(0.3)) headers.accept = r.pick(ACCEPTS)
  if (r.chance(0.05)) headers['message-accept'] = r.pick(ACCEPTS)
  if (r.chance(0.05)) headers['message-content-type'] = r.pick(CONTENT_TYPES)
  if (r.chance(0.1)) headers['mesos-stream-id'] = randomString(r).slice(0, 200).replace(/[^\x20-\x7e]/g, '')
  if (r.chance(0.05)) headers.authorization = r.pick(['Basic', 'Basic !!!', `Basic ${btoa('a:b')}`, 'Bearer x'])
  const roll = r.int(10)
  if (roll < 3) {
    const paths = daemon === 'master' ? MASTER_GETS : AGENT_GETS
    return { daemon, method: r.chance(0.85) ? 'GET' : r.pick(METHODS), path: r.pick(paths) + query(r), headers, kind: 'v0' }
  }
  if (daemon === 'master') {
    if (roll === 3) return { daemon, method: 'POST', path: '/master/teardown', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: r.pick(['frameworkId=x', '', 'frameworkId=' + 'y'.repeat(3000), '%%%']), kind: 'teardown' }
    if (roll === 4) return { daemon, method: 'POST', path: '/api/meso/v1/kill_task', headers, body: JSON.stringify(mutate(r, { framework_id: FID.value, task_id: 't', grace_period_seconds: 1 })), kind: 'kill_task' }
    const sched = roll < 8
    const call = r.pick(sched ? SCHEDULER_CALLS : MASTER_CALLS)
    const typeName = sched ? 'mesos.v1.scheduler.Call' : 'mesos.v1.master.Call'
    return { daemon, method: r.chance(0.95) ? 'POST' : r.pick(METHODS), path: sched ? '/api/v1/scheduler' : r.pick(['/api/v1', '/master/api/v1']), headers, body: body(r, call, typeName, ct), kind: sched ? `scheduler ${call.type}` : `operator ${call.type}` }
  }
  if (roll === 3 || ct === 'application/recordio') {
    return { daemon, method: 'POST', path: '/api/v1', headers: { 'content-type': 'application/recordio', 'message-content-type': r.pick(['application/json', 'application/x-protobuf', 'x/y']) }, body: recordio(r), kind: 'attach input' }
  }
  const exec = roll < 6
  const call = r.pick(exec ? EXECUTOR_CALLS : AGENT_CALLS)
  return { daemon, method: 'POST', path: exec ? '/api/v1/executor' : '/api/v1', headers, body: body(r, call, exec ? 'mesos.v1.executor.Call' : 'mesos.v1.agent.Call', ct), kind: exec ? `executor ${call.type}` : `agent ${call.type}` }
}

export interface FuzzReport {
  requests: number
  byStatus: Record<number, number>
  /** 5xx answers other than 501, with what provoked them. */
  serverErrors: { kind: string; path: string; status: number; body: string; request: string }[]
  /** Requests that got no answer (connection reset, timeout, or a request fetch itself refuses to send). */
  transportErrors: number
  /** The first few of those, with what was sent. */
  transportSamples: string[]
  seconds: number
}

/** Sends `count` fuzz requests (seeded), `concurrency` at a time; stops early if `alive()` turns false. */
export async function runFuzz(o: { master: string; agent?: string; count: number; concurrency?: number; seed?: number; alive?: () => boolean; timeoutMs?: number }): Promise<FuzzReport> {
  const r = new Rng(o.seed ?? 1)
  const report: FuzzReport = { requests: 0, byStatus: {}, serverErrors: [], transportErrors: 0, transportSamples: [], seconds: 0 }
  const t0 = performance.now()
  let issued = 0
  const worker = async () => {
    while (issued < o.count && (o.alive?.() ?? true)) {
      issued++
      const req = fuzzRequest(r, !!o.agent)
      const base = req.daemon === 'agent' ? o.agent! : o.master
      const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
      try {
        const res = await fetch(base + req.path, {
          method: req.method, headers: req.headers, body: hasBody ? req.body : undefined,
          signal: AbortSignal.timeout(o.timeoutMs ?? 30_000), redirect: 'manual',
        })
        report.byStatus[res.status] = (report.byStatus[res.status] ?? 0) + 1
        // Event streams never end: read what came with the status and hang up.
        const streaming = res.status === 200 && /recordio|json/.test(res.headers.get('content-type') ?? '') && !res.headers.get('content-length')
        const text = streaming ? '' : await res.text().catch(() => '')
        if (streaming) await res.body?.cancel().catch(() => {})
        if (res.status >= 500 && res.status !== 501) {
          const shown = typeof req.body === 'string' ? req.body.slice(0, 300) : req.body ? `<${req.body.length} bytes>` : ''
          report.serverErrors.push({ kind: req.kind, path: req.path.slice(0, 200), status: res.status, body: text.slice(0, 300), request: shown })
        }
      } catch (err) {
        report.transportErrors++
        if (report.transportSamples.length < 5) report.transportSamples.push(`${req.method} ${req.path.slice(0, 80)} (${req.kind}): ${(err as Error).message}`)
      }
      report.requests++
    }
  }
  await Promise.all(Array.from({ length: o.concurrency ?? 16 }, worker))
  report.seconds = (performance.now() - t0) / 1000
  return report
}
