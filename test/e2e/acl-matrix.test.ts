// The ACL matrix: every endpoint of the master and the agent × {anonymous, a principal the ACLs give nothing, a
// principal they give everything}, against one master and one agent started once with authentication on
// everywhere and `permissive: false` ACLs (docs/security-auth.md). Each cell is the status Mesos answers: 401 without
// credentials, 403 when the ACLs refuse an action, 2xx otherwise; state answers are 200 for both principals but
// show the refused one nothing (view_* ACLs). Where meso answers something else once authorized (a call it does not
// implement: 501; an agent that does not exist: 404; a task without an I/O switchboard: 500; a built-in executor on
// the executor API: 400), that is the cell, so each cell still proves the authorization step passed.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ACL_KINDS } from '../../src/core/authz/acls.ts'
import { currentUserName } from '../../src/core/posix-user.ts'
import { meso, startAgent, startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'

type Who = 'anonymous' | 'nobody' | 'ops'
const SECRETS: Record<Exclude<Who, 'anonymous'>, string> = { nobody: 'nobody-secret', ops: 'ops-secret' }
const basic = (who: Who): Record<string, string> => (who === 'anonymous' ? {} : { Authorization: 'Basic ' + Buffer.from(`${who}:${SECRETS[who]}`).toString('base64') })
const me = currentUserName()

let master: Daemon
let agent: Daemon
let dir: string
const ids: Record<string, { framework: string; task: string; container: string; executor: string }> = {}

async function opsJson(url: string, body?: unknown): Promise<any> {
  const res = await fetch(url, body === undefined ? { headers: basic('ops') } : { method: 'POST', headers: { ...basic('ops'), 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
  if (!res.ok) throw new Error(`${url} → ${res.status} ${await res.text()}`)
  return res.json()
}

beforeAll(async () => {
  dir = tempDir()
  writeFileSync(join(dir, 'credentials.json'), JSON.stringify({ credentials: [
    { principal: 'ops', secret: SECRETS.ops }, { principal: 'nobody', secret: SECRETS.nobody }, { principal: 'agent', secret: 'agent-secret' },
  ] }))
  writeFileSync(join(dir, 'agent-credential.json'), JSON.stringify({ principal: 'agent', secret: 'agent-secret' }))
  writeFileSync(join(dir, 'jwt.key'), 'matrix-jwt-key')
  // ops may do everything (tasks only as the current user); nobody nothing; the agent may register.
  const acls: Record<string, unknown> = { permissive: false }
  for (const [kind, spec] of Object.entries(ACL_KINDS)) acls[kind] = [{ principals: { values: ['ops'] }, [spec.object]: { type: 'ANY' } }]
  acls.run_tasks = [{ principals: { values: ['ops'] }, users: { values: [me] } }]
  acls.register_agents = [{ principals: { values: ['agent'] }, agents: { type: 'ANY' } }]
  writeFileSync(join(dir, 'acls.json'), JSON.stringify(acls))
  master = await startMaster(join(dir, 'master'), [
    '--authenticate_http_readonly', '--authenticate_http_readwrite', '--authenticate_http_frameworks', '--authenticate_agents',
    `--credentials=${join(dir, 'credentials.json')}`, `--acls=${join(dir, 'acls.json')}`, '--weights=dev=2',
  ])
  agent = await startAgent(master.url, join(dir, 'agent'), [
    '--authenticate_http_readonly', '--authenticate_http_readwrite', '--authenticate_http_executors', `--jwt_secret_key=${join(dir, 'jwt.key')}`,
    `--http_credentials=${join(dir, 'credentials.json')}`, `--credential=${join(dir, 'agent-credential.json')}`, `--acls=${join(dir, 'acls.json')}`,
    '--resources=cpus:4;mem:4096;disk:64',
  ])
  await waitFor('the agent to register', async () => (await opsJson(`${master.url}/master/slaves`)).slaves.length === 1)
  const env = { MESO_PRINCIPAL: 'ops', MESO_SECRET: SECRETS.ops, MESO_CONFIG: join(dir, 'no-config.toml') }
  const run = async (name: string, cmd: string) => {
    const r = await meso(['task', 'run', '-d', `--master=${master.url}`, '--name', name, '--cpus', '0.1', '--mem', '32', '--', 'sh', '-c', cmd], { env, timeoutMs: 30_000 })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
  }
  await Promise.all([
    run('main', 'echo hello-out; echo "$MESOS_EXECUTOR_AUTHENTICATION_TOKEN" > token; sleep 600'),
    run('killme', 'sleep 600'), run('tear1', 'sleep 600'), run('tear2', 'sleep 600'),
  ])
  const tasks = (await opsJson(`${master.url}/api/v1`, { type: 'GET_TASKS' })).get_tasks.tasks
  for (const t of tasks) {
    const running = t.statuses.find((s: any) => s.container_status?.container_id)
    ids[t.name] = { framework: t.framework_id.value, task: t.task_id.value, container: running?.container_status.container_id.value ?? '', executor: t.executor_id?.value ?? t.task_id.value }
  }
  expect(Object.keys(ids).sort()).toEqual(['killme', 'main', 'tear1', 'tear2'])
  await waitFor('the token file', async () => {
    const r = await fetch(`${agent.url}/files/read?path=${encodeURIComponent(sandbox('main', 'token'))}&offset=0`, { headers: basic('ops') })
    return r.ok && ((await r.json()) as { data: string }).data.trim().length > 20
  })
}, 120_000)

afterAll(async () => {
  // Posix tasks outlive their agent by design: tear the frameworks down (killing their tasks) first.
  try {
    const fws = (await opsJson(`${master.url}/api/v1`, { type: 'GET_FRAMEWORKS' })).get_frameworks.frameworks ?? []
    for (const f of fws) await opsJson(`${master.url}/api/v1`, { type: 'TEARDOWN', teardown: { framework_id: f.framework_info.id } }).catch(() => {})
    await waitFor('the tasks to end', async () => !((await opsJson(`${agent.url}/api/v1`, { type: 'GET_TASKS' })).get_tasks.launched_tasks?.length), 10_000)
  } catch { /* the daemons go anyway */ }
  for (const d of [agent, master]) await d?.kill('SIGKILL').catch(() => {})
})

const sandbox = (name: string, file: string) => `/frameworks/${ids[name]!.framework}/executors/${ids[name]!.executor}/runs/latest/${file}`

interface Row {
  name: string
  /** 'master' or 'agent', and a path. */
  on: 'master' | 'agent'
  path: string | (() => string)
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** A JSON body (an operator or scheduler call), or a raw body with its own content type. */
  body?: () => unknown
  raw?: () => { body: string; type: string }
  headers?: Record<string, string>
  /** A streaming answer: only its status and first record are read. */
  stream?: boolean
  /** The status each subject gets. */
  expect: [anonymous: number, nobody: number, ops: number]
  /** For 200s that filter: what nobody and ops see (true: the protected object is there). */
  sees?: (body: any) => boolean
  /** Subjects other than Basic ones (an executor's token). */
  as?: Partial<Record<Who, () => Record<string, string>>>
}

const op = (type: string, extra: Record<string, unknown> = {}) => () => ({ type, ...extra })
const agentId = async () => (await opsJson(`${master.url}/master/slaves`)).slaves[0].id as string
let AGENT_ID = ''
const DEV_DISK = { name: 'disk', type: 'SCALAR', scalar: { value: 8 }, reservations: [{ type: 'DYNAMIC', role: 'dev', principal: 'ops' }] }
const DEV_VOLUME = { ...DEV_DISK, disk: { persistence: { id: 'v', principal: 'ops' }, volume: { container_path: 'v', mode: 'RW' } } }
const newId = () => `n-${crypto.randomUUID()}`
const nested = newId()

const rows: Row[] = [
  // master: v0 endpoints
  { name: 'master /health', on: 'master', path: '/health', expect: [200, 200, 200] },
  { name: 'master /version', on: 'master', path: '/version', expect: [200, 200, 200] },
  { name: 'master /redirect', on: 'master', path: '/master/redirect', expect: [307, 307, 307] },
  { name: 'master /state', on: 'master', path: '/master/state', expect: [401, 200, 200], sees: b => b.frameworks.length > 0 && 'flags' in b },
  { name: 'master /state.json', on: 'master', path: '/state.json', expect: [401, 200, 200], sees: b => b.frameworks.length > 0 },
  { name: 'master /state-summary', on: 'master', path: '/master/state-summary', expect: [401, 200, 200], sees: b => b.frameworks.length > 0 },
  { name: 'master /frameworks', on: 'master', path: '/master/frameworks', expect: [401, 200, 200], sees: b => b.frameworks.length > 0 },
  { name: 'master /tasks', on: 'master', path: '/master/tasks', expect: [401, 200, 200], sees: b => b.tasks.length > 0 },
  { name: 'master /slaves', on: 'master', path: '/master/slaves', expect: [401, 200, 200] },
  { name: 'master /roles', on: 'master', path: '/master/roles', expect: [401, 200, 200], sees: b => b.roles.length > 0 },
  { name: 'master /weights', on: 'master', path: '/master/weights', expect: [401, 200, 200], sees: b => b.length > 0 },
  // get_quotas filters the status (no quota is set here, so both principals see none).
  { name: 'master /quota', on: 'master', path: '/master/quota', expect: [401, 200, 200] },
  { name: 'master /flags', on: 'master', path: '/master/flags', expect: [401, 403, 200] },
  { name: 'master /metrics/snapshot', on: 'master', path: '/metrics/snapshot', expect: [401, 403, 200] },
  // Prometheus text: authorized as /metrics/snapshot (GET_ENDPOINT_WITH_PATH '/metrics/snapshot'), whose values it carries.
  { name: 'master /metrics', on: 'master', path: '/metrics', expect: [401, 403, 200], sees: b => typeof b === 'string' && b.includes('meso_master_elected 1') },
  { name: 'master /files/read /master/log', on: 'master', path: '/files/read?path=/master/log&offset=0', expect: [401, 403, 200] },
  // Browsing a file lists nothing, 200 (upstream FilesProcess::browse: os::ls fails on a file, the listing stays empty).
  { name: 'master /files/browse /master/log', on: 'master', path: '/files/browse?path=/master/log', expect: [401, 403, 200] },
  { name: 'master /files/download /master/log', on: 'master', path: '/files/download?path=/master/log', expect: [401, 403, 200] },
  { name: 'master /files/debug', on: 'master', path: '/files/debug', expect: [401, 403, 200] },
  // master: v1 operator API
  ...(['GET_HEALTH', 'GET_VERSION', 'GET_METRICS', 'GET_LOGGING_LEVEL', 'GET_MASTER', 'GET_OPERATIONS', 'GET_QUOTA', 'GET_MAINTENANCE_STATUS', 'GET_MAINTENANCE_SCHEDULE'] as const)
    .map((type): Row => ({ name: `master ${type}`, on: 'master', path: '/api/v1', body: op(type), expect: [401, 200, 200] })),
  { name: 'master GET_FLAGS', on: 'master', path: '/api/v1', body: op('GET_FLAGS'), expect: [401, 403, 200] },
  { name: 'master SET_LOGGING_LEVEL', on: 'master', path: '/api/v1', body: op('SET_LOGGING_LEVEL', { set_logging_level: { level: 0, duration: { nanoseconds: 1e9 } } }), expect: [401, 403, 202] },
  { name: 'master LIST_FILES /master/log', on: 'master', path: '/api/v1', body: op('LIST_FILES', { list_files: { path: '/master/log' } }), expect: [401, 403, 200] },
  { name: 'master READ_FILE /master/log', on: 'master', path: '/api/v1', body: op('READ_FILE', { read_file: { path: '/master/log', offset: 0 } }), expect: [401, 403, 200] },
  { name: 'master GET_STATE', on: 'master', path: '/api/v1', body: op('GET_STATE'), expect: [401, 200, 200], sees: b => b.get_state.get_frameworks.frameworks?.length > 0 && b.get_state.get_tasks.tasks?.length > 0 },
  { name: 'master GET_AGENTS', on: 'master', path: '/api/v1', body: op('GET_AGENTS'), expect: [401, 200, 200] },
  { name: 'master GET_FRAMEWORKS', on: 'master', path: '/api/v1', body: op('GET_FRAMEWORKS'), expect: [401, 200, 200], sees: b => b.get_frameworks.frameworks?.length > 0 },
  { name: 'master GET_EXECUTORS', on: 'master', path: '/api/v1', body: op('GET_EXECUTORS'), expect: [401, 200, 200] },
  { name: 'master GET_TASKS', on: 'master', path: '/api/v1', body: op('GET_TASKS'), expect: [401, 200, 200], sees: b => b.get_tasks.tasks?.length > 0 },
  { name: 'master GET_ROLES', on: 'master', path: '/api/v1', body: op('GET_ROLES'), expect: [401, 200, 200], sees: b => b.get_roles.roles?.length > 0 },
  { name: 'master GET_WEIGHTS', on: 'master', path: '/api/v1', body: op('GET_WEIGHTS'), expect: [401, 200, 200], sees: b => b.get_weights.weight_infos?.length > 0 },
  { name: 'master SUBSCRIBE', on: 'master', path: '/api/v1', body: op('SUBSCRIBE'), stream: true, expect: [401, 200, 200], sees: e => e.subscribed.get_state.get_frameworks.frameworks?.length > 0 },
  { name: 'master UPDATE_WEIGHTS', on: 'master', path: '/api/v1', body: op('UPDATE_WEIGHTS', { update_weights: { weight_infos: [{ role: 'dev', weight: 3 }] } }), expect: [401, 403, 200] },
  { name: 'master DEACTIVATE_AGENT', on: 'master', path: '/api/v1', body: () => ({ type: 'DEACTIVATE_AGENT', deactivate_agent: { agent_id: { value: AGENT_ID } } }), expect: [401, 403, 200] },
  { name: 'master REACTIVATE_AGENT', on: 'master', path: '/api/v1', body: () => ({ type: 'REACTIVATE_AGENT', reactivate_agent: { agent_id: { value: AGENT_ID } } }), expect: [401, 403, 200] },
  { name: 'master MARK_AGENT_GONE (no such agent)', on: 'master', path: '/api/v1', body: op('MARK_AGENT_GONE', { mark_agent_gone: { agent_id: { value: 'no-such-agent' } } }), expect: [401, 403, 404] },
  // Maintenance and drain (docs/maintenance.md): an unknown agent and an unscheduled machine are 400 once authorized.
  { name: 'master DRAIN_AGENT (no such agent)', on: 'master', path: '/api/v1', body: op('DRAIN_AGENT', { drain_agent: { agent_id: { value: 'no-such-agent' }, mark_gone: true } }), expect: [401, 403, 400] },
  { name: 'master START_MAINTENANCE', on: 'master', path: '/api/v1', body: op('START_MAINTENANCE', { start_maintenance: { machines: [{ hostname: 'h' }] } }), expect: [401, 403, 400] },
  { name: 'master STOP_MAINTENANCE', on: 'master', path: '/api/v1', body: op('STOP_MAINTENANCE', { stop_maintenance: { machines: [{ hostname: 'h' }] } }), expect: [401, 403, 400] },
  { name: 'master UPDATE_MAINTENANCE_SCHEDULE', on: 'master', path: '/api/v1', body: op('UPDATE_MAINTENANCE_SCHEDULE', { update_maintenance_schedule: { schedule: {} } }), expect: [401, 403, 200] },
  { name: 'master GET /master/maintenance/schedule', on: 'master', path: '/master/maintenance/schedule', expect: [401, 200, 200] },
  { name: 'master GET /master/maintenance/status', on: 'master', path: '/master/maintenance/status', expect: [401, 200, 200] },
  { name: 'master POST /master/maintenance/schedule', on: 'master', path: '/master/maintenance/schedule', method: 'POST', raw: () => ({ body: '{}', type: 'application/json' }), expect: [401, 403, 200] },
  { name: 'master POST /master/machine/down', on: 'master', path: '/master/machine/down', method: 'POST', raw: () => ({ body: '[{"hostname":"h"}]', type: 'application/json' }), expect: [401, 403, 400] },
  { name: 'master POST /master/machine/up', on: 'master', path: '/master/machine/up', method: 'POST', raw: () => ({ body: '[{"hostname":"h"}]', type: 'application/json' }), expect: [401, 403, 400] },
  { name: 'master UPDATE_QUOTA', on: 'master', path: '/api/v1', body: op('UPDATE_QUOTA', { update_quota: { quota_configs: [{ role: 'dev' }] } }), expect: [401, 403, 200] },
  // Reservations and volumes (docs/resources.md), in an order that makes each one valid for ops: 202 proves it passed.
  { name: 'master RESERVE_RESOURCES', on: 'master', path: '/api/v1', body: () => ({ type: 'RESERVE_RESOURCES', reserve_resources: { agent_id: { value: AGENT_ID }, resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, reservations: [{ type: 'DYNAMIC', role: 'dev', principal: 'ops' }] }, DEV_DISK] } }), expect: [401, 403, 202] },
  { name: 'master UNRESERVE_RESOURCES', on: 'master', path: '/api/v1', body: () => ({ type: 'UNRESERVE_RESOURCES', unreserve_resources: { agent_id: { value: AGENT_ID }, resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, reservations: [{ type: 'DYNAMIC', role: 'dev', principal: 'ops' }] }] } }), expect: [401, 403, 202] },
  { name: 'master CREATE_VOLUMES', on: 'master', path: '/api/v1', body: () => ({ type: 'CREATE_VOLUMES', create_volumes: { agent_id: { value: AGENT_ID }, volumes: [DEV_VOLUME] } }), expect: [401, 403, 202] },
  { name: 'master DESTROY_VOLUMES', on: 'master', path: '/api/v1', body: () => ({ type: 'DESTROY_VOLUMES', destroy_volumes: { agent_id: { value: AGENT_ID }, volumes: [DEV_VOLUME] } }), expect: [401, 403, 202] },
  { name: 'master POST /master/unreserve', on: 'master', path: '/master/unreserve', method: 'POST', raw: () => ({ body: `slaveId=${AGENT_ID}&resources=${encodeURIComponent(JSON.stringify([DEV_DISK]))}`, type: 'application/x-www-form-urlencoded' }), expect: [401, 403, 202] },
  { name: 'master POST /master/reserve', on: 'master', path: '/master/reserve', method: 'POST', raw: () => ({ body: `slaveId=${AGENT_ID}&resources=${encodeURIComponent(JSON.stringify([DEV_DISK]))}`, type: 'application/x-www-form-urlencoded' }), expect: [401, 403, 202] },
  { name: 'master TEARDOWN', on: 'master', path: '/api/v1', body: () => ({ type: 'TEARDOWN', teardown: { framework_id: { value: ids.tear1!.framework } } }), expect: [401, 403, 200] },
  { name: 'master POST /master/teardown', on: 'master', path: '/master/teardown', method: 'POST', raw: () => ({ body: `frameworkId=${ids.tear2!.framework}`, type: 'application/x-www-form-urlencoded' }), expect: [401, 403, 200] },
  // meso's secret store (docs/security-secrets.md): create_secrets, view_secrets (a filter), delete_secrets.
  { name: 'master POST /api/meso/v1/secrets', on: 'master', path: '/api/meso/v1/secrets', method: 'POST', body: () => ({ path: 'matrix/s', value: 'v' }), expect: [401, 403, 201] },
  { name: 'master GET /api/meso/v1/secrets', on: 'master', path: '/api/meso/v1/secrets', expect: [401, 200, 200], sees: b => b.secrets?.length > 0 },
  { name: 'master DELETE /api/meso/v1/secrets', on: 'master', path: '/api/meso/v1/secrets?path=matrix/s', method: 'DELETE', expect: [401, 403, 200] },
  { name: 'master POST /api/meso/v1/kill_task', on: 'master', path: '/api/meso/v1/kill_task', method: 'POST', body: () => ({ framework_id: ids.killme!.framework, task_id: ids.killme!.task }), expect: [401, 403, 202] },
  // The VIP table (docs/discovery.md): read-only realm; backends of frameworks the caller may not view are left out.
  { name: 'master GET /api/meso/v1/vips', on: 'master', path: '/api/meso/v1/vips', expect: [401, 200, 200] },
  // The masters and which one leads (docs/ui.md): read-only realm, no ACL of its own (GET_MASTER shows the leader to all).
  { name: 'master GET /api/meso/v1/masters', on: 'master', path: '/api/meso/v1/masters', expect: [401, 200, 200] },
  // The jobs scheduler's Metronome API (docs/jobs.md): reads need authentication; what decides what runs needs
  // run_tasks as the job's user.
  { name: 'master GET /v1/jobs', on: 'master', path: '/v1/jobs', expect: [401, 200, 200] },
  { name: 'master POST /v1/jobs', on: 'master', path: '/v1/jobs', method: 'POST', body: () => ({ id: 'matrix-job', run: { cmd: 'true', cpus: 0.1, mem: 16 } }), expect: [401, 403, 201] },
  { name: 'master GET /v1/jobs/{id}', on: 'master', path: '/v1/jobs/matrix-job?embed=history', expect: [401, 200, 200] },
  { name: 'master PUT /v1/jobs/{id}', on: 'master', path: '/v1/jobs/matrix-job', method: 'PUT', body: () => ({ id: 'matrix-job', run: { cmd: 'true', cpus: 0.1, mem: 16 } }), expect: [401, 403, 200] },
  { name: 'master POST /v1/jobs/{id}/schedules', on: 'master', path: '/v1/jobs/matrix-job/schedules', method: 'POST', body: () => ({ id: 'nightly', cron: '0 3 * * *' }), expect: [401, 403, 201] },
  { name: 'master GET /v1/jobs/{id}/schedules', on: 'master', path: '/v1/jobs/matrix-job/schedules', expect: [401, 200, 200] },
  { name: 'master DELETE /v1/jobs/{id}/schedules/{id}', on: 'master', path: '/v1/jobs/matrix-job/schedules/nightly', method: 'DELETE', expect: [401, 403, 200] },
  { name: 'master POST /v1/jobs/{id}/runs', on: 'master', path: '/v1/jobs/matrix-job/runs', method: 'POST', expect: [401, 403, 201] },
  { name: 'master GET /v1/jobs/{id}/runs', on: 'master', path: '/v1/jobs/matrix-job/runs', expect: [401, 200, 200] },
  { name: 'master GET /v1/pipelines/{id}/runs', on: 'master', path: '/v1/pipelines/matrix-job/runs', expect: [401, 200, 200] },
  { name: 'master DELETE /v1/jobs/{id}', on: 'master', path: '/v1/jobs/matrix-job?stopCurrentJobRuns=true', method: 'DELETE', expect: [401, 403, 200] },
  // The services scheduler's Marathon API (docs/services.md): reads need authentication; what decides what runs
  // needs run_tasks as the app's user.
  { name: 'master GET /v2/apps', on: 'master', path: '/v2/apps', expect: [401, 200, 200] },
  { name: 'master POST /v2/apps', on: 'master', path: '/v2/apps', method: 'POST', body: () => ({ id: '/matrix/app', cmd: 'sleep 600', cpus: 0.01, mem: 16, instances: 0 }), expect: [401, 403, 201] },
  { name: 'master GET /v2/apps/{id}', on: 'master', path: '/v2/apps/matrix/app?embed=app.tasks', expect: [401, 200, 200] },
  { name: 'master PUT /v2/apps/{id}', on: 'master', path: '/v2/apps/matrix/app?force=true', method: 'PUT', body: () => ({ instances: 0, labels: { matrix: 'yes' } }), expect: [401, 403, 200] },
  { name: 'master POST /v2/apps/{id}/restart', on: 'master', path: '/v2/apps/matrix/app/restart?force=true', method: 'POST', expect: [401, 403, 200] },
  { name: 'master GET /v2/deployments', on: 'master', path: '/v2/deployments', expect: [401, 200, 200] },
  { name: 'master GET /v2/queue', on: 'master', path: '/v2/queue?embed=lastUnusedOffers', expect: [401, 200, 200] },
  { name: 'master GET /v2/tasks', on: 'master', path: '/v2/tasks', expect: [401, 200, 200] },
  { name: 'master GET /v2/info', on: 'master', path: '/v2/info', expect: [401, 200, 200] },
  { name: 'master DELETE /v2/apps/{id}', on: 'master', path: '/v2/apps/matrix/app?force=true', method: 'DELETE', expect: [401, 403, 200] },
  // master: scheduler API (register_frameworks; nobody gets the ERROR event Mesos sends on the open stream)
  { name: 'master scheduler SUBSCRIBE', on: 'master', path: '/api/v1/scheduler', body: op('SUBSCRIBE', { subscribe: { framework_info: { user: me, name: 'matrix' } } }), stream: true, expect: [401, 200, 200], sees: e => e.type === 'SUBSCRIBED' },
  // agent: v0 endpoints
  { name: 'agent /health', on: 'agent', path: '/health', expect: [200, 200, 200] },
  { name: 'agent /version', on: 'agent', path: '/version', expect: [200, 200, 200] },
  { name: 'agent /state', on: 'agent', path: '/slave(1)/state', expect: [401, 200, 200], sees: b => b.frameworks.length > 0 && 'flags' in b },
  { name: 'agent /flags', on: 'agent', path: '/flags', expect: [401, 403, 200] },
  { name: 'agent /metrics/snapshot', on: 'agent', path: '/metrics/snapshot', expect: [401, 403, 200] },
  { name: 'agent /metrics', on: 'agent', path: '/metrics', expect: [401, 403, 200], sees: b => typeof b === 'string' && b.includes('meso_slave_registered 1') },
  { name: 'agent /monitor/statistics', on: 'agent', path: '/monitor/statistics', expect: [401, 403, 200] },
  { name: 'agent /containers', on: 'agent', path: '/containers', expect: [401, 403, 200] },
  { name: 'agent /api/meso/v1/networks', on: 'agent', path: '/api/meso/v1/networks', expect: [401, 200, 200] },
  { name: 'agent /files/read sandbox', on: 'agent', path: () => `/files/read?path=${encodeURIComponent(sandbox('main', 'stdout'))}&offset=0`, expect: [401, 403, 200] },
  { name: 'agent /files/browse sandbox', on: 'agent', path: () => `/files/browse?path=${encodeURIComponent(sandbox('main', ''))}`, expect: [401, 403, 200] },
  { name: 'agent /files/download sandbox', on: 'agent', path: () => `/files/download?path=${encodeURIComponent(sandbox('main', 'stdout'))}`, expect: [401, 403, 200] },
  { name: 'agent /files/read /slave/log', on: 'agent', path: '/files/read?path=/slave/log&offset=0', expect: [401, 403, 200] },
  { name: 'agent /files/debug', on: 'agent', path: '/files/debug', expect: [401, 403, 200] },
  // agent: v1 operator API
  ...(['GET_HEALTH', 'GET_VERSION', 'GET_METRICS', 'GET_LOGGING_LEVEL', 'GET_AGENT', 'GET_OPERATIONS', 'GET_RESOURCE_PROVIDERS'] as const)
    .map((type): Row => ({ name: `agent ${type}`, on: 'agent', path: '/api/v1', body: op(type), expect: [401, 200, 200] })),
  { name: 'agent GET_FLAGS', on: 'agent', path: '/api/v1', body: op('GET_FLAGS'), expect: [401, 403, 200] },
  { name: 'agent SET_LOGGING_LEVEL', on: 'agent', path: '/api/v1', body: op('SET_LOGGING_LEVEL', { set_logging_level: { level: 0, duration: { nanoseconds: 1e9 } } }), expect: [401, 403, 202] },
  { name: 'agent GET_STATE', on: 'agent', path: '/api/v1', body: op('GET_STATE'), expect: [401, 200, 200], sees: b => b.get_state.get_frameworks.frameworks?.length > 0 && b.get_state.get_tasks.launched_tasks?.length > 0 },
  { name: 'agent GET_FRAMEWORKS', on: 'agent', path: '/api/v1', body: op('GET_FRAMEWORKS'), expect: [401, 200, 200], sees: b => b.get_frameworks.frameworks?.length > 0 },
  { name: 'agent GET_EXECUTORS', on: 'agent', path: '/api/v1', body: op('GET_EXECUTORS'), expect: [401, 200, 200], sees: b => b.get_executors.executors?.length > 0 },
  { name: 'agent GET_TASKS', on: 'agent', path: '/api/v1', body: op('GET_TASKS'), expect: [401, 200, 200], sees: b => b.get_tasks.launched_tasks?.length > 0 },
  { name: 'agent GET_CONTAINERS', on: 'agent', path: '/api/v1', body: op('GET_CONTAINERS'), expect: [401, 200, 200], sees: b => b.get_containers.containers?.length > 0 },
  { name: 'agent LIST_FILES sandbox', on: 'agent', path: '/api/v1', body: () => ({ type: 'LIST_FILES', list_files: { path: sandbox('main', '') } }), expect: [401, 403, 200] },
  { name: 'agent READ_FILE sandbox', on: 'agent', path: '/api/v1', body: () => ({ type: 'READ_FILE', read_file: { path: sandbox('main', 'stdout'), offset: 0 } }), expect: [401, 403, 200] },
  { name: 'agent READ_FILE /slave/log', on: 'agent', path: '/api/v1', body: op('READ_FILE', { read_file: { path: '/slave/log', offset: 0 } }), expect: [401, 403, 200] },
  { name: 'agent PRUNE_IMAGES (no image store on posix)', on: 'agent', path: '/api/v1', body: op('PRUNE_IMAGES'), expect: [401, 403, 501] },
  // Authorized, then 500 as Mesos answers for a container without a TTY (no I/O switchboard): the ACL decision is
  // what this row checks.
  { name: 'agent ATTACH_CONTAINER_OUTPUT', on: 'agent', path: '/api/v1', body: () => ({ type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: { value: ids.main!.container } } }), headers: { Accept: 'application/recordio', 'Message-Accept': 'application/json' }, stream: true, expect: [401, 403, 500] },
  { name: 'agent ATTACH_CONTAINER_INPUT (no switchboard: not a TTY task)', on: 'agent', path: '/api/v1', raw: () => attachInputBody(ids.main!.container), expect: [401, 403, 500] },
  { name: 'agent LAUNCH_NESTED_CONTAINER_SESSION', on: 'agent', path: '/api/v1', body: () => ({ type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: { value: newId(), parent: { value: ids.main!.container } }, command: { value: 'echo hi' } } }), headers: { Accept: 'application/recordio', 'Message-Accept': 'application/json' }, stream: true, expect: [401, 403, 200] },
  { name: 'agent LAUNCH_NESTED_CONTAINER', on: 'agent', path: '/api/v1', body: () => ({ type: 'LAUNCH_NESTED_CONTAINER', launch_nested_container: { container_id: { value: nested, parent: { value: ids.main!.container } }, command: { value: 'sleep 60' } } }), expect: [401, 403, 200] },
  { name: 'agent KILL_NESTED_CONTAINER', on: 'agent', path: '/api/v1', body: () => ({ type: 'KILL_NESTED_CONTAINER', kill_nested_container: { container_id: { value: nested, parent: { value: ids.main!.container } } } }), expect: [401, 403, 200] },
  { name: 'agent WAIT_NESTED_CONTAINER', on: 'agent', path: '/api/v1', body: () => ({ type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { container_id: { value: nested, parent: { value: ids.main!.container } } } }), expect: [401, 403, 200] },
  { name: 'agent REMOVE_NESTED_CONTAINER', on: 'agent', path: '/api/v1', body: () => ({ type: 'REMOVE_NESTED_CONTAINER', remove_nested_container: { container_id: { value: nested, parent: { value: ids.main!.container } } } }), expect: [401, 403, 200] },
  // agent: executor API (realm mesos-agent-executor): a principal without the executor's claims is refused; the
  // executor's own token passes (and is then told that a command executor does not use this API)
  {
    name: 'agent executor API SUBSCRIBE', on: 'agent', path: '/api/v1/executor',
    body: () => ({ type: 'SUBSCRIBE', framework_id: { value: ids.main!.framework }, executor_id: { value: ids.main!.executor }, subscribe: {} }),
    as: { ops: () => ({ Authorization: `Bearer ${mainToken}` }) }, expect: [401, 403, 400],
  },
]

let mainToken = ''

function attachInputBody(containerId: string) {
  const rec = (o: unknown) => { const s = JSON.stringify(o); return `${Buffer.byteLength(s)}\n${s}` }
  return {
    type: 'application/recordio',
    body: rec({ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'CONTAINER_ID', container_id: { value: containerId } } }),
  }
}

/** The status and (first record of, for streams) the body of one request as `who`. */
async function ask(row: Row, who: Who): Promise<{ status: number; body: any }> {
  const base = row.on === 'master' ? master.url : agent.url
  const path = typeof row.path === 'function' ? row.path() : row.path
  const headers: Record<string, string> = { ...(row.as?.[who]?.() ?? basic(who)), ...row.headers }
  const init: RequestInit = { method: row.method ?? (row.body || row.raw ? 'POST' : 'GET'), headers, redirect: 'manual' }
  if (row.body) { init.body = JSON.stringify(row.body()); headers['Content-Type'] ??= 'application/json' }
  if (row.raw) {
    const r = row.raw()
    init.body = r.body
    headers['Content-Type'] = r.type
    if (r.type === 'application/recordio') headers['Message-Content-Type'] = 'application/json'
  }
  const abort = new AbortController()
  init.signal = abort.signal
  const res = await fetch(`${base}${path}`, init)
  if (row.stream && res.status === 200) {
    // The first RecordIO record, then hang up.
    const reader = res.body!.getReader()
    let buf = ''
    const dec = new TextDecoder()
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      buf += dec.decode(value)
      const nl = buf.indexOf('\n')
      if (nl > 0 && Buffer.byteLength(buf.slice(nl + 1)) >= Number(buf.slice(0, nl))) break
    }
    abort.abort()
    const nl = buf.indexOf('\n')
    return { status: 200, body: nl > 0 ? JSON.parse(buf.slice(nl + 1, nl + 1 + Number(buf.slice(0, nl)))) : undefined }
  }
  const text = await res.text()
  let body: unknown = text
  try { body = JSON.parse(text) } catch { /* not JSON */ }
  return { status: res.status, body }
}

test('ACL matrix: every endpoint × {anonymous, nobody, ops}', async () => {
  AGENT_ID = await agentId()
  mainToken = (await opsJson(`${agent.url}/files/read?path=${encodeURIComponent(sandbox('main', 'token'))}&offset=0`)).data.trim()
  const failures: string[] = []
  let cells = 0
  for (const row of rows) {
    const subjects: Who[] = ['anonymous', 'nobody', 'ops']
    for (const [i, who] of subjects.entries()) {
      cells++
      const want = row.expect[i]!
      const got = await ask(row, who)
      if (got.status !== want) { failures.push(`${row.name} as ${who}: ${got.status} (want ${want}) ${typeof got.body === 'string' ? got.body.slice(0, 160) : JSON.stringify(got.body).slice(0, 160)}`); continue }
      if (row.sees && got.status === 200 && who !== 'anonymous') {
        const sees = row.sees(got.body)
        if (sees !== (who === 'ops')) failures.push(`${row.name} as ${who}: ${who === 'ops' ? 'should' : 'should not'} see the protected objects: ${JSON.stringify(got.body).slice(0, 200)}`)
      }
    }
  }
  console.log(`ACL matrix: ${rows.length} endpoints × 3 subjects = ${cells} cells, ${cells - failures.length} as expected`)
  expect(failures).toEqual([])
  // The effects of the cells ops was allowed: the teardowns and the kill happened.
  const tasks = (await opsJson(`${master.url}/api/v1`, { type: 'GET_TASKS' })).get_tasks
  const active = (tasks.tasks ?? []).map((t: any) => t.name)
  expect(active).toContain('main')
  for (const gone of ['killme', 'tear1', 'tear2']) expect(active).not.toContain(gone)
}, 120_000)

test('run_tasks: a task as a user the ACLs do not allow is refused (TASK_ERROR, REASON_TASK_UNAUTHORIZED)', async () => {
  const env = { MESO_PRINCIPAL: 'ops', MESO_SECRET: SECRETS.ops, MESO_CONFIG: join(dir, 'no-config.toml') }
  const r = await meso(['task', 'run', `--master=${master.url}`, '--user', 'nobody', '--', 'true'], { env, timeoutMs: 30_000 })
  expect(r.code).toBe(125)
  expect(r.stderr).toContain(`under user 'nobody'`)
  const ok = await meso(['task', 'run', `--master=${master.url}`, '--', 'echo', 'allowed'], { env, timeoutMs: 30_000 })
  expect(ok.stdout).toBe('allowed\n')
  const refused = await meso(['task', 'run', `--master=${master.url}`, '--', 'true'], { env: { ...env, MESO_PRINCIPAL: 'nobody', MESO_SECRET: SECRETS.nobody }, timeoutMs: 30_000 })
  // The master refuses the subscription with an ERROR event (as Mesos does); the CLI reports it as a lost task.
  expect(refused.code).not.toBe(0)
  expect(refused.stderr).toContain('Not authorized to register framework')
}, 90_000)

test('operator SUBSCRIBE: events are filtered per principal (view_frameworks, view_tasks)', async () => {
  const streams = (['nobody', 'ops'] as const).map(who => {
    const ctl = new AbortController()
    const types: string[] = []
    const done = (async () => {
      const res = await fetch(`${master.url}/api/v1`, { method: 'POST', signal: ctl.signal, headers: { ...basic(who), 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'SUBSCRIBE' }) })
      let buf = ''
      try {
        for await (const chunk of res.body!) {
          buf += new TextDecoder().decode(chunk)
          for (let nl = buf.indexOf('\n'); nl > 0 && buf.length >= nl + 1 + Number(buf.slice(0, nl)); nl = buf.indexOf('\n')) {
            types.push(JSON.parse(buf.slice(nl + 1, nl + 1 + Number(buf.slice(0, nl)))).type)
            buf = buf.slice(nl + 1 + Number(buf.slice(0, nl)))
          }
        }
      } catch { /* aborted */ }
    })()
    return { who, types, stop: async () => { ctl.abort(); await done } }
  })
  await waitFor('both streams to subscribe', () => streams.every(s => s.types.includes('SUBSCRIBED')))
  const env = { MESO_PRINCIPAL: 'ops', MESO_SECRET: SECRETS.ops, MESO_CONFIG: join(dir, 'no-config.toml') }
  const r = await meso(['task', 'run', `--master=${master.url}`, '--', 'true'], { env, timeoutMs: 30_000 })
  expect(r.code).toBe(0)
  await waitFor('ops to see the task end', () => streams[1]!.types.filter(t => t === 'TASK_UPDATED').length >= 2)
  for (const s of streams) await s.stop()
  const interesting = (types: string[]) => types.filter(t => t.startsWith('TASK_') || t.startsWith('FRAMEWORK_'))
  expect(interesting(streams[0]!.types)).toEqual([])
  expect(interesting(streams[1]!.types)).toEqual(expect.arrayContaining(['FRAMEWORK_ADDED', 'TASK_ADDED', 'TASK_UPDATED']))
}, 60_000)
