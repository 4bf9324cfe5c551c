// Authentication end to end (docs/security-auth.md): `meso up`'s defaults (a task cannot drive another task's
// container, while the CLI's exec/attach/logs keep working; everything authenticated beyond loopback), Mesos'
// authentication flags on `meso master` / `meso agent`, and executor tokens (MESOS_EXECUTOR_AUTHENTICATION_TOKEN).

import { afterAll, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { signJwt } from '../../src/core/auth.ts'
import { meso, ROOT, startAgent, startDaemon, startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'
import { commandTask, frameworkInfo, RawScheduler } from '../helpers/raw-scheduler.ts'

const BUN = join(ROOT, 'node_modules', '.bin', 'bun')
const daemons: Daemon[] = []
const getJson = async (url: string): Promise<any> => (await fetch(url)).json()
afterAll(async () => { for (const d of daemons) await d.kill('SIGKILL').catch(() => {}) })

const UP = /master (http:\/\/\S+) \(scheduler API/
const agentOf = (log: string) => /agent (https?:\/\/[^\s,]+)/.exec(log.slice(log.indexOf('meso is up')))![1]!

/** What a task tries against the agent with what a task has: no credentials, and its own executor token. */
const ATTACK = `
const base = 'http://' + process.env.MESOS_AGENT_ENDPOINT
const token = process.env.MESOS_EXECUTOR_AUTHENTICATION_TOKEN ?? ''
const own = token ? JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).cid : ''
const victim = process.env.VICTIM_CONTAINER, victimFile = process.env.VICTIM_FILE
const as = { anonymous: {}, token: { Authorization: 'Bearer ' + token } }
const call = async (who, body, accept) => {
  const ctl = new AbortController()
  const r = await fetch(base + '/api/v1', { method: 'POST', signal: ctl.signal,
    headers: { 'Content-Type': 'application/json', ...(accept ? { Accept: accept, 'Message-Accept': 'application/json' } : {}), ...as[who] }, body: JSON.stringify(body) })
  ctl.abort()
  return r.status
}
const out = { hasToken: token.length > 0 }
for (const who of ['anonymous', 'token']) {
  out['session:' + who] = await call(who, { type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: { value: 'evil-' + who, parent: { value: victim } }, command: { value: 'cat /etc/hostname' } } }, 'application/recordio')
  out['nested:' + who] = await call(who, { type: 'LAUNCH_NESTED_CONTAINER', launch_nested_container: { container_id: { value: 'evil2-' + who, parent: { value: victim } }, command: { value: 'true' } } })
  out['attach:' + who] = await call(who, { type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: { value: victim } } }, 'application/recordio')
  out['kill:' + who] = await call(who, { type: 'KILL_NESTED_CONTAINER', kill_nested_container: { container_id: { value: victim } } })
  out['read_file:' + who] = await call(who, { type: 'READ_FILE', read_file: { path: victimFile, offset: 0 } })
  out['files_read:' + who] = (await fetch(base + '/files/read?offset=0&path=' + encodeURIComponent(victimFile), { headers: as[who] })).status
}
// Its own container is its own business.
out['attach:own'] = await call('token', { type: 'ATTACH_CONTAINER_OUTPUT', attach_container_output: { container_id: { value: own } } }, 'application/recordio')
console.log('RESULT ' + JSON.stringify(out))
`

test('default meso up: a task cannot drive another task\'s container or read its sandbox; the CLI still can', async () => {
  const dir = tempDir()
  const env = { MESO_CONFIG: join(dir, 'home', 'config.toml') }
  const up = await startDaemon(['up', `--work_dir=${join(dir, 'up')}`, '--port=0', '--launcher=posix'], UP, env)
  daemons.push(up)
  const m = up.url
  const cli = (args: string[], timeoutMs = 30_000) => meso([...args.slice(0, 2), `--master=${m}`, ...args.slice(2)], { env, timeoutMs })
  const victim = await cli(['task', 'run', '-d', '--name', 'victim', '--', 'sh', '-c', 'echo victim-secret; sleep 600'])
  expect(victim.code).toBe(0)
  try { await taskVersusTask(m, dir, cli) } finally {
    // Posix tasks outlive their agent by design: end the victim whatever happened.
    await cli(['task', 'kill', 'victim'])
    await up.kill('SIGINT')
  }
}, 120_000)

/** The task's attack on the victim, then the CLI's exec, logs and attach on a default `meso up` at `m`. */
async function taskVersusTask(m: string, dir: string, cli: (args: string[], timeoutMs?: number) => ReturnType<typeof meso>) {
  const tasks = JSON.parse((await cli(['task', 'list', '--json'])).stdout)
  const v = tasks.find((t: any) => t.name === 'victim')
  const container = v.statuses.find((s: any) => s.container_status?.container_id).container_status.container_id.value
  const file = `/frameworks/${v.framework_id}/executors/${v.executor_id || v.id}/runs/latest/stdout`
  // (Inline: a linux-launcher container has a /tmp of its own; this test passes with --launcher=linux too.)
  const attack = await cli(['task', 'run', '--env', `VICTIM_CONTAINER=${container}`, '--env', `VICTIM_FILE=${file}`, '--', BUN, '-e', ATTACK], 60_000)
  expect(attack.code).toBe(0)
  const result = JSON.parse(/RESULT (.*)/.exec(attack.stdout)![1]!)
  expect(result).toEqual({
    hasToken: true,
    'session:anonymous': 401, 'session:token': 403,
    'nested:anonymous': 401, 'nested:token': 403,
    'attach:anonymous': 401, 'attach:token': 403,
    'kill:anonymous': 401, 'kill:token': 403,
    'read_file:anonymous': 401, 'read_file:token': 403,
    'files_read:anonymous': 401, 'files_read:token': 403,
    // A plain task has no I/O switchboard: 500, as Mesos answers (the CLI follows its logs instead).
    'attach:own': 500,
  })
  // The CLI has the credential `meso up` left for it: exec, logs and attach work.
  // (A few tries: with the posix launcher a session's output is sometimes lost, without this change too.)
  let exec = await cli(['task', 'exec', 'victim', '--', 'echo', 'exec-ok'])
  for (let i = 0; i < 3 && exec.code === 0 && exec.stdout === ''; i++) exec = await cli(['task', 'exec', 'victim', '--', 'echo', 'exec-ok'])
  expect({ out: exec.stdout, err: exec.stderr, code: exec.code }).toEqual({ out: 'exec-ok\n', err: '', code: 0 })
  // A session whose output ends before it does runs to its own exit (the end of its output once killed it: 137).
  const quiet = await cli(['task', 'exec', 'victim', '--', 'sh', '-c', 'exec >&- 2>&-; sleep 0.5; exit 3'])
  expect({ err: quiet.stderr, code: quiet.code }).toEqual({ err: '', code: 3 })
  const logs = await cli(['task', 'logs', 'victim'])
  expect(logs.stdout).toContain('victim-secret')
  await cli(['task', 'run', '-d', '--name', 'ticker', '--', 'sh', '-c', 'sleep 2; for i in 1 2 3; do echo tick$i; sleep 0.3; done'])
  const attach = await cli(['task', 'attach', 'ticker'])
  // (Its exit code is not checked here: `task attach` to a plain posix task exits 1 without this change too.)
  expect({ out: attach.stdout, err: attach.stderr }).toEqual({ out: expect.stringContaining('tick3'), err: '' })
  // Without it (another user's CLI, a task), the agent says what is missing.
  const stranger = await meso(['task', 'logs', `--master=${m}`, 'victim'], { env: { MESO_CONFIG: join(dir, 'elsewhere', 'config.toml') } })
  expect(stranger.code).not.toBe(0)
  expect(stranger.stderr).toContain('401')
}

test('meso up beyond loopback authenticates everything; the CLI on the machine finds its credential', async () => {
  const dir = tempDir()
  const env = { MESO_CONFIG: join(dir, 'home', 'config.toml') }
  const up = await startDaemon(['up', `--work_dir=${join(dir, 'up')}`, '--ip=0.0.0.0', '--port=0', '--launcher=posix'], UP, env)
  daemons.push(up)
  await waitFor('the authentication note', () => up.log().includes('authentication on'))
  const agent = agentOf(up.log())
  for (const url of [`${up.url}/master/state`, `${agent}/state`, `${up.url}/metrics/snapshot`]) {
    const r = await fetch(url)
    expect({ url, status: r.status }).toEqual({ url, status: 401 })
    expect(r.headers.get('www-authenticate')).toMatch(/^Basic realm="mesos-(master|agent)-readonly"/)
  }
  const sub = await fetch(`${up.url}/api/v1/scheduler`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'root', name: 'x' } } }) })
  expect(sub.status).toBe(401)
  // The agent authenticated to the master (--authenticate_agents) and registered.
  await waitFor('the agent to register', async () => JSON.parse((await meso(['cluster', 'status', '--json', `--master=${up.url}`], { env })).stdout).agents.active === 1)
  const run = await meso(['task', 'run', `--master=${up.url}`, '--', 'sh', '-c', 'echo from-a-secured-cluster'], { env, timeoutMs: 30_000 })
  expect(run.stdout).toBe('from-a-secured-cluster\n')
  const wrong = await meso(['task', 'list', `--master=${up.url}`], { env: { ...env, MESO_PRINCIPAL: 'meso-operator', MESO_SECRET: 'wrong' } })
  expect(wrong.code).toBe(1)
  expect(wrong.stderr).toContain('401')
  await up.kill('SIGINT')
}, 90_000)

test('meso master / meso agent: Mesos authentication flags, agent credentials, framework principals', async () => {
  const dir = tempDir()
  writeFileSync(join(dir, 'creds'), 'ops ops-secret\nagent agent-secret\ndev dev-secret\n') // the legacy text format
  // Authentication on without credentials is a start error.
  const noCreds = await meso(['master', '--authenticate_http_readwrite', '--port=0', '--ip=127.0.0.1', `--work_dir=${join(dir, 'm0')}`])
  expect(noCreds.code).toBe(1)
  expect(noCreds.stderr).toContain('no --credentials')
  const badAcls = await meso(['master', '--acls={"run_task": []}', '--port=0', '--ip=127.0.0.1', `--work_dir=${join(dir, 'm1')}`])
  expect(badAcls.code).toBe(1)
  expect(badAcls.stderr).toContain("unknown ACL 'run_task'")
  const master = await startMaster(join(dir, 'master'), ['--authenticate_http_frameworks', '--authenticate_agents', '--authenticate_http_readwrite', `--credentials=${join(dir, 'creds')}`])
  daemons.push(master)
  // A credentials file is shown by its path; credentials given inline never are.
  expect((await getJson(`${master.url}/master/flags`)).flags.credentials).toBe(join(dir, 'creds'))
  const inline = await startMaster(join(dir, 'inline'), ['--credentials={"credentials":[{"principal":"p","secret":"inline-secret"}]}'])
  daemons.push(inline)
  const flagsText = JSON.stringify(await getJson(`${inline.url}/master/flags`))
  expect(flagsText).not.toContain('inline-secret')
  expect(flagsText).toContain('REDACTED')
  await inline.kill()
  const auth = (p: string, s: string) => ({ Authorization: 'Basic ' + Buffer.from(`${p}:${s}`).toString('base64') })
  // An agent without a credential is refused and keeps trying; one with it registers.
  const lonely = await startAgent(master.url, join(dir, 'a0'))
  daemons.push(lonely)
  await waitFor('the refusal in the agent log', () => /401|Agent authentication failed|refused/i.test(lonely.log()), 10_000)
  await lonely.kill('SIGKILL')
  writeFileSync(join(dir, 'agent-cred'), JSON.stringify({ principal: 'agent', secret: 'agent-secret' }))
  const agent = await startAgent(master.url, join(dir, 'a1'), [`--credential=${join(dir, 'agent-cred')}`])
  daemons.push(agent)
  await waitFor('the agent to register', async () => (await getJson(`${master.url}/master/slaves`)).slaves.length === 1)
  // Read-write calls: 401 without, 401 with a wrong secret, 200 with the right one.
  const weights = (h: Record<string, string>) => fetch(`${master.url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...h }, body: JSON.stringify({ type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'r', weight: 2 }] } }) })
  expect((await weights({})).status).toBe(401)
  expect((await weights({})).headers.get('www-authenticate')).toBe('Basic realm="mesos-master-readwrite"')
  expect((await weights(auth('ops', 'nope'))).status).toBe(401)
  expect((await weights(auth('ops', 'ops-secret'))).status).toBe(200)
  // The same through protobuf: the realm does not depend on the encoding.
  const { encodeBody } = await import('../../src/core/v1/codec.ts')
  const pb = await fetch(`${master.url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf' }, body: encodeBody('mesos.v1.master.Call', 'protobuf', { type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'r', weight: 3 }] } }) as Uint8Array })
  expect(pb.status).toBe(401)
  // Frameworks: the authenticated principal becomes FrameworkInfo.principal; another principal cannot take over.
  const subscribe = (h: Record<string, string>, info: Record<string, unknown>) => fetch(`${master.url}/api/v1/scheduler`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...h }, body: JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: info } }) })
  expect((await subscribe({}, frameworkInfo('f'))).status).toBe(401)
  const mismatch = await subscribe(auth('ops', 'ops-secret'), { ...frameworkInfo('f'), principal: 'dev' })
  expect(mismatch.status).toBe(400)
  expect(await mismatch.text()).toContain("does not match principal 'dev'")
  const abort = new AbortController()
  const first = await fetch(`${master.url}/api/v1/scheduler`, { method: 'POST', signal: abort.signal, headers: { 'Content-Type': 'application/json', ...auth('ops', 'ops-secret') }, body: JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: frameworkInfo('f') } }) })
  const reader = first.body!.getReader()
  const chunk = new TextDecoder().decode((await reader.read()).value)
  const fid = /"framework_id":\{"value":"([^"]+)"/.exec(chunk)![1]!
  const frameworks = await getJson(`${master.url}/master/frameworks`)
  expect(frameworks.frameworks[0].principal).toBe('ops')
  const takeover = await subscribe(auth('dev', 'dev-secret'), { ...frameworkInfo('f'), id: { value: fid } })
  expect(takeover.status).toBe(200)
  expect(await takeover.text()).toContain("Changing framework's principal is not allowed.")
  abort.abort()
}, 90_000)

/** A custom executor: subscribes with its token (after checking that the agent refuses it without), runs its task. */
const EXECUTOR = `
const url = 'http://' + process.env.MESOS_AGENT_ENDPOINT + '/api/v1/executor'
const ids = { framework_id: { value: process.env.MESOS_FRAMEWORK_ID }, executor_id: { value: process.env.MESOS_EXECUTOR_ID } }
const token = process.env.MESOS_EXECUTOR_AUTHENTICATION_TOKEN
const post = (body, auth) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: 'Bearer ' + token } : {}) }, body: JSON.stringify({ ...ids, ...body }) })
const without = await post({ type: 'SUBSCRIBE', subscribe: {} }, false)
const res = await post({ type: 'SUBSCRIBE', subscribe: {} }, true)
const uuid = () => Buffer.from(crypto.randomUUID().replace(/-/g, ''), 'hex').toString('base64')
const update = (task_id, state, message) => post({ type: 'UPDATE', update: { status: { task_id, state, source: 'SOURCE_EXECUTOR', uuid: uuid(), message } } }, true)
let buf = ''
for await (const chunk of res.body) {
  buf += new TextDecoder().decode(chunk)
  for (;;) {
    const nl = buf.indexOf('\\n'); if (nl < 0) break
    const len = Number(buf.slice(0, nl)); if (buf.length < nl + 1 + len) break
    const e = JSON.parse(buf.slice(nl + 1, nl + 1 + len)); buf = buf.slice(nl + 1 + len)
    if (e.type === 'LAUNCH') await update(e.launch.task.task_id, 'TASK_RUNNING', 'without-token=' + without.status + ' with-token=' + res.status)
    if (e.type === 'KILL') { await update(e.kill.task_id, 'TASK_KILLED', 'killed'); process.exit(0) }
    if (e.type === 'SHUTDOWN') process.exit(0)
  }
}
`

test('executor tokens: --authenticate_http_executors, claims bound to one executor', async () => {
  const dir = tempDir()
  writeFileSync(join(dir, 'jwt.key'), 'executor-secret-key')
  writeFileSync(join(dir, 'executor.js'), EXECUTOR)
  const master = await startMaster(join(dir, 'master'))
  daemons.push(master)
  const agent = await startAgent(master.url, join(dir, 'agent'), ['--authenticate_http_executors', `--executor_secret_key=${join(dir, 'jwt.key')}`, '--resources=cpus:2;mem:1024'])
  daemons.push(agent)
  const s = new RawScheduler(master.url)
  await s.subscribe(frameworkInfo('tokens'))
  const offer = (await s.next(e => e.type === 'OFFERS')).offers.offers[0]
  const task = { ...commandTask('t1', offer.agent_id.value, 'unused'), command: undefined,
    executor: { executor_id: { value: 'custom-1' }, type: 'CUSTOM', command: { value: `${BUN} ${join(dir, 'executor.js')}` },
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 }, allocation_info: { role: '*' } }, { name: 'mem', type: 'SCALAR', scalar: { value: 32 }, allocation_info: { role: '*' } }] } }
  const accepted = await s.call('ACCEPT', { accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [task] } }] } })
  expect(accepted.status).toBe(202)
  const running = (await s.next(e => e.type === 'UPDATE' && e.update.status.state === 'TASK_RUNNING', 30_000)).update.status
  expect(running.message).toBe('without-token=401 with-token=200')
  // A token is only good for its own executor: fid/eid/cid must all be this executor's.
  const containerId = (await getJson(`${agent.url}/containers`))[0].container_id
  const sub = (token: string) => fetch(`${agent.url}/api/v1/executor`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify({ type: 'SUBSCRIBE', framework_id: { value: s.frameworkId }, executor_id: { value: 'custom-1' }, subscribe: {} }) })
  const key = 'executor-secret-key'
  const other = await sub(signJwt({ fid: s.frameworkId, eid: 'custom-2', cid: containerId }, key))
  expect(other.status).toBe(403)
  expect(await other.text()).toContain("'eid' claim")
  expect((await sub(signJwt({ fid: s.frameworkId, eid: 'custom-1', cid: 'another-container' }, key))).status).toBe(403)
  expect((await sub(signJwt({ fid: s.frameworkId, eid: 'custom-1', cid: containerId }, 'not-the-key'))).status).toBe(401)
  const killed = await s.call('KILL', { kill: { task_id: { value: 't1' } } })
  expect(killed.status).toBe(202)
  await s.next(e => e.type === 'UPDATE' && e.update.status.state === 'TASK_KILLED', 30_000)
  s.close()
}, 90_000)
