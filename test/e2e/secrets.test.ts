// Secrets end to end (docs/security-secrets.md): a secret created with the CLI reaches a task as an environment
// variable and as a 0400 file (the linux launcher where crun is installed, else posix), a VALUE secret sent by a
// scheduler too; then a random canary is searched in every endpoint of both daemons, the operator event stream
// captured meanwhile, both daemons' output, and every file under both work dirs (the store included): no hits.
// An unknown secret and a principal without access_secrets fail the task with TASK_ERROR naming the path.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHash, randomBytes } from 'node:crypto'
import { lstatSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { frameworkInfo, RawScheduler, type Event } from '../helpers/raw-scheduler.ts'
import { meso, startAgent, startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'

const CANARY = `meso-canary-${randomBytes(12).toString('hex')}`
const INLINE = `meso-inline-${randomBytes(12).toString('hex')}`
/** Every form a value could leak in: as is, and base64 (Secret.Value.data in JSON). */
const FORMS = [CANARY, INLINE, Buffer.from(CANARY).toString('base64'), Buffer.from(INLINE).toString('base64')]
const sha = (s: string) => createHash('sha256').update(s).digest('hex')
// MESO_TEST_LAUNCHER=posix runs the posix form where crun is installed too.
const launcher = process.env.MESO_TEST_LAUNCHER === 'posix' || linuxLauncherUnavailable({}) ? 'posix' : 'linux'

const dir = tempDir('meso-secrets-')
let master: Daemon
let agent: Daemon
let s: RawScheduler
const stream = { text: '', ctl: new AbortController() }
const daemons: Daemon[] = []

afterAll(async () => {
  stream.ctl.abort()
  s?.close()
  for (const d of daemons) await d.kill('SIGKILL').catch(() => {})
})

beforeAll(async () => {
  const acls = {
    permissive: true,
    // `nosecrets` may use no secret; everybody else any (permissive).
    access_secrets: [{ principals: { values: ['nosecrets'] }, paths: { type: 'NONE' } }],
  }
  master = await startMaster(`${dir}/master`, ['--allocation_interval=100ms', `--acls=${JSON.stringify(acls)}`])
  agent = await startAgent(master.url, `${dir}/agent`, [`--launcher=${launcher}`, '--resources=cpus:2;mem:1024'])
  daemons.push(master, agent)
  // The operator event stream, captured for the whole run.
  const r = await fetch(`${master.url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'SUBSCRIBE' }), signal: stream.ctl.signal })
  void (async () => { try { for await (const c of r.body!) stream.text += Buffer.from(c).toString() } catch { /* aborted */ } })()
  await waitFor('SUBSCRIBED', () => stream.text.includes('SUBSCRIBED'))
})

describe(`secrets (${launcher} launcher)`, () => {
  test('meso secret create / list: stdin in, paths out', async () => {
    const c = await meso(['secret', 'create', `--master=${master.url}`, 'team/db/password'], { stdin: CANARY })
    expect(c).toMatchObject({ code: 0, stdout: 'secret team/db/password created\n' })
    const again = await meso(['secret', 'create', `--master=${master.url}`, 'team/db/password', '--value', CANARY])
    expect(again.stdout).toBe('secret team/db/password updated\n')
    await meso(['secret', 'create', `--master=${master.url}`, 'scratch'], { stdin: 'x' })
    const l = await meso(['secret', 'list', `--master=${master.url}`, '--json'])
    expect(JSON.parse(l.stdout).map((m: { path: string }) => m.path)).toEqual(['scratch', 'team/db/password'])
    expect((await meso(['secret', 'rm', `--master=${master.url}`, 'scratch'])).stdout).toBe('secret scratch removed\n')
    const gone = await meso(['secret', 'rm', `--master=${master.url}`, 'scratch'])
    expect(gone.code).not.toBe(0)
    expect(gone.stderr).toContain("No secret 'scratch'")
  })

  test('a task reads it from an environment variable and from a 0400 secret file', async () => {
    const r = await meso(['task', 'run', `--master=${master.url}`, '--secret-env', 'DB_PASS=team/db/password', '--secret-file', 'conf/db.pass=team/db/password', '--',
      'sh', '-c', 'printf %s "$DB_PASS" | sha256sum; sha256sum < conf/db.pass; stat -c "%a %U" conf/db.pass; echo > conf/db.pass 2>/dev/null && echo writable || echo read-only'])
    expect(r.code).toBe(0)
    const me = r.stdout.split('\n')[2]!.split(' ')[1]
    // linux: a read-only bind mount, so even root cannot write it; posix: a plain 0400 file, which root may write.
    const writable = launcher === 'posix' && process.getuid?.() === 0 ? 'writable' : 'read-only'
    expect(r.stdout).toBe(`${sha(CANARY)}  -\n${sha(CANARY)}  -\n400 ${me}\n${writable}\n`)
  })

  test('a VALUE secret from a scheduler reaches the task; the master keeps only the redacted TaskInfo', async () => {
    s = new RawScheduler(master.url)
    await s.subscribe(frameworkInfo('secrets', { principal: 'web' }))
    const offer = (await s.next(e => e.type === 'OFFERS')).offers.offers[0]
    await s.call('ACCEPT', { accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [{
      name: 'inline', task_id: { value: 'inline' }, agent_id: offer.agent_id,
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 }, allocation_info: { role: '*' } }, { name: 'mem', type: 'SCALAR', scalar: { value: 32 }, allocation_info: { role: '*' } }],
      command: { value: 'printf %s "$INLINE" | sha256sum', environment: { variables: [{ name: 'INLINE', type: 'SECRET', secret: { type: 'VALUE', value: { data: Buffer.from(INLINE).toString('base64') } } }] } },
    }] } }], filters: { refuse_seconds: 0 } } })
    const end = await s.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'inline' && ['TASK_FINISHED', 'TASK_FAILED', 'TASK_ERROR'].includes(e.update.status.state))
    expect(end.update.status.state).toBe('TASK_FINISHED')
    expect((await meso(['task', 'logs', `--master=${master.url}`, 'inline'])).stdout).toBe(`${sha(INLINE)}  -\n`)
    // Its offers go back to the others.
    await s.call('TEARDOWN')
    s.close()
  })

  test('an unknown secret: TASK_ERROR naming the path', async () => {
    const r = await meso(['task', 'run', `--master=${master.url}`, '--secret-env', 'X=team/none', '--', 'true'])
    expect(r.code).not.toBe(0)
    expect(r.stdout + r.stderr).toContain('TASK_ERROR')
    expect(r.stdout + r.stderr).toContain("secret 'team/none' of environment variable 'X': no such secret in the store")
  })

  test('a principal without access_secrets: TASK_ERROR (REASON_TASK_UNAUTHORIZED) naming the path', async () => {
    const n = new RawScheduler(master.url)
    try {
      await n.subscribe(frameworkInfo('nosecrets', { principal: 'nosecrets' }))
      const offer = (await n.next(e => e.type === 'OFFERS')).offers.offers[0]
      await n.call('ACCEPT', { accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [{
        name: 'denied', task_id: { value: 'denied' }, agent_id: offer.agent_id,
        resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 }, allocation_info: { role: '*' } }],
        command: { value: 'true' },
        container: { type: 'MESOS', volumes: [{ mode: 'RO', container_path: 'p', source: { type: 'SECRET', secret: { type: 'REFERENCE', reference: { name: 'team/db/password' } } } }] },
      }] } }] } })
      const u = await n.next((e: Event) => e.type === 'UPDATE' && e.update.status.task_id.value === 'denied')
      await n.call('TEARDOWN')
      expect(u.update.status).toMatchObject({ state: 'TASK_ERROR', reason: 'REASON_TASK_UNAUTHORIZED' })
      expect(u.update.status.message).toBe("Task denied: secret 'team/db/password' of volume at 'p': principal 'nosecrets' is not authorized to access it (access_secrets)")
    } finally { n.close() }
  })

  test('the canary is nowhere: endpoints, the operator event stream, logs, files on disk', async () => {
    const hits: string[] = []
    const check = (where: string, text: string) => { for (const f of FORMS) if (text.includes(f)) hits.push(`${where} (${f === CANARY || f === INLINE ? 'value' : 'base64'})`) }
    const get = async (url: string) => { const r = await fetch(url); return `${r.status} ${await r.text()}` }
    const call = async (base: string, type: string) => {
      const r = await fetch(`${base}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ type }) })
      return `${r.status} ${await r.text()}`
    }
    const checked: string[] = []
    const endpoint = async (name: string, text: Promise<string>) => { const t = await text; expect(t.startsWith('200')).toBe(true); checked.push(name); check(name, t) }
    for (const p of ['/state', '/master/state', '/tasks', '/master/tasks', '/frameworks', '/master/frameworks', '/flags', '/state-summary']) {
      const t = await get(`${master.url}${p}`)
      if (t.startsWith('404')) continue
      await endpoint(`master ${p}`, Promise.resolve(t))
    }
    for (const c of ['GET_STATE', 'GET_TASKS', 'GET_FRAMEWORKS', 'GET_AGENTS', 'GET_EXECUTORS', 'GET_FLAGS']) await endpoint(`master ${c}`, call(master.url, c))
    await endpoint('master /api/meso/v1/secrets', get(`${master.url}/api/meso/v1/secrets`))
    for (const p of ['/state', '/flags']) await endpoint(`agent ${p}`, get(`${agent.url}${p}`))
    for (const c of ['GET_STATE', 'GET_TASKS', 'GET_CONTAINERS', 'GET_FLAGS', 'GET_FRAMEWORKS', 'GET_EXECUTORS']) await endpoint(`agent ${c}`, call(agent.url, c))
    // Sandboxes: the listing, recursively, and the tasks' output files.
    const state = await (await fetch(`${agent.url}/state`)).json() as Record<string, unknown>
    const sandboxes = [...JSON.stringify(state).matchAll(/"directory":"([^"]+)"/g)].map(m => m[1]!)
    expect(sandboxes.length).toBeGreaterThanOrEqual(2)
    for (const sb of new Set(sandboxes)) {
      for (const sub of ['', '/conf']) {
        const t = await get(`${agent.url}/files/browse?path=${encodeURIComponent(sb + sub)}`)
        checked.push(`agent /files/browse ${sub || '/'}`)
        check(`agent /files/browse ${sb}${sub}`, t)
      }
      for (const f of ['stdout', 'stderr']) check(`agent /files/read ${sb}/${f}`, await get(`${agent.url}/files/read?path=${encodeURIComponent(`${sb}/${f}`)}&offset=0`))
    }
    check('operator SUBSCRIBE stream', stream.text)
    expect(stream.text).toContain('TASK_ADDED')
    // Both daemons' stdout and stderr.
    check('master output', master.log())
    check('agent output', agent.log())
    // Every file under both work dirs: the store (encrypted), the registrar, checkpoints, sandboxes, runtime dirs.
    let files = 0
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name)
        const st = lstatSync(p)
        if (st.isDirectory()) walk(p)
        else if (st.isFile() && st.size < 64 * 1024 * 1024) { files++; check(`file ${p}`, readFileSync(p).toString('latin1')) }
      }
    }
    walk(join(dir, 'master'))
    walk(join(dir, 'agent'))
    expect(readdirSync(join(dir, 'master'))).toContain('secret-store.db')
    console.log(`canary search: ${checked.length} endpoint answers, the event stream, 2 daemon outputs, ${files} files; hits: ${hits.length}`)
    expect(hits).toEqual([])
  })
})
