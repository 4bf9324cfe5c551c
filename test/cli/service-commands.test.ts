// Every `meso service` command as users run it (the CLI from the sources, in a child process) against a small
// Marathon-shaped master (service-fake-marathon.ts): output, progress followed from /v2/events (and by polling when
// the stream is not there), exit codes (0; 1 for API errors — Marathon's 422 details on one line, a 409 with what to
// do —, failed deployments and timeouts with the reason; 2 for usage errors; 125 when the master cannot be reached;
// 130 after Ctrl-C), and what was asked of the API.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { FakeMarathon } from './service-fake-marathon.ts'

const ROOT = resolve(import.meta.dir, '../..')
const dir = mkdtempSync(join(tmpdir(), 'meso-service-cli-'))
const fake = new FakeMarathon()

beforeAll(() => { fake.start() })
afterAll(() => { fake.stop(); rmSync(dir, { recursive: true, force: true }) })

function spawn(args: string[], opts: { stdin?: string; master?: string } = {}) {
  return Bun.spawn([process.execPath, join(ROOT, 'src', 'main.ts'), ...args, `--master=${opts.master ?? fake.url}`], {
    cwd: dir,
    stdin: opts.stdin !== undefined ? new TextEncoder().encode(opts.stdin) : 'ignore', stdout: 'pipe', stderr: 'pipe',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, NO_COLOR: '1', COLUMNS: '200' },
  })
}

async function meso(args: string[], opts: { stdin?: string; master?: string } = {}) {
  const proc = spawn(args, opts)
  const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000)
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  clearTimeout(timer)
  return { stdout, stderr, code }
}

const file = (name: string, value: unknown) => { const p = join(dir, name); writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value)); return p }
const app = (id: string, over: Record<string, unknown> = {}) => ({ id, cmd: 'sleep 1000', cpus: 0.1, mem: 32, instances: 2, ...over })
const DEP = /dep-\d+-5a28-4821-9d94-480d9fbb01c8/

describe('meso service deploy', () => {
  test('creates an app from JSON, follows it from the event stream to success; again: updated', async () => {
    const f = file('web.json', app('web', { healthChecks: [{ protocol: 'COMMAND', command: { value: 'true' } }] }))
    const before = fake.requests.length
    const r = await meso(['service', 'deploy', f])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^service \/web created \(deployment dep-\d+-[^)]+\)\n$/)
    const id = DEP.exec(r.stdout)![0]
    expect(r.stderr).toContain(`deployment ${id}: step 1/1: StartApplication /web\n`)
    expect(r.stderr).toContain('/web: 2/2 running, 2 healthy\n')
    expect(r.stderr).toEndWith(`deployment ${id} succeeded\n`)
    // The stream is opened before the change, so the outcome event cannot be missed.
    const asked = fake.requests.slice(before)
    const subscribed = asked.findIndex(q => q.startsWith('GET /v2/events?event_type=event_stream_attached&event_type=deployment_info&'))
    expect(subscribed).toBeGreaterThanOrEqual(0)
    expect(subscribed).toBeLessThan(asked.indexOf('PUT /v2/apps/web?partialUpdate=false'))
    expect(fake.eventTypesAsked.at(-1)).toContain('offers_declined_event')
    expect(asked).toContain('GET /v2/deployments?embed=reasons')
    const again = await meso(['service', 'deploy', file('web2.json', app('/web', { cmd: 'sleep 2000', healthChecks: [{ protocol: 'COMMAND', command: { value: 'true' } }] }))])
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/^service \/web updated \(deployment dep-/)
  })

  test('a group in YAML from stdin: its apps created in one deployment, followed; --json prints what the master answered', async () => {
    const yaml = Bun.YAML.stringify({ id: '/shop', apps: [app('db', { instances: 1 }), app('front', { instances: 1 })] })
    const r = await meso(['service', 'deploy', '-', '--json'], { stdin: yaml })
    expect(r.code).toBe(0)
    const started = JSON.parse(r.stdout)
    expect(started.map((s: { id: string; created: boolean }) => [s.id, s.created])).toEqual([['/shop/db', true], ['/shop/front', true]])
    // One deployment for the whole group (PUT /v2/apps with the list), so that Marathon orders dependencies.
    expect(started[0].deploymentId).toMatch(DEP)
    expect(started[1].deploymentId).toBe(started[0].deploymentId)
    expect(fake.requests).toContain('PUT /v2/apps?partialUpdate=false')
    expect(r.stderr).toContain('/shop/db: 1/1 running\n')
    expect(r.stderr).toContain('/shop/front: 1/1 running\n')
  })

  test("Marathon's 422 details on one line, exit 1; a file that is no app: exit 2", async () => {
    const r = await meso(['service', 'deploy', file('bad.json', { id: 'bad', cpus: 0 })])
    expect(r).toEqual({ code: 1, stdout: '', stderr: "error: deploying service '/bad' failed: Object is not valid: /cpus: got 0, expected 0.01 or more; /: AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.\n" })
    const nofile = join(dir, 'absent.json')
    expect(await meso(['service', 'deploy', nofile])).toMatchObject({ code: 2, stderr: `error: cannot read ${nofile}: ENOENT\n` })
    expect(await meso(['service', 'deploy', file('noid.yaml', 'cmd: x\n')])).toMatchObject({ code: 2, stderr: `error: ${join(dir, 'noid.yaml')} has no "id"\n` })
  })

  test('a failing deployment: exit 1 with the reason of deployment_failed', async () => {
    const r = await meso(['service', 'deploy', file('crash.json', app('crash', { labels: { 'test/fail': 'exited with status 3' } }))])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('/crash: task failed: TASK_FAILED on 127.0.0.1: exited with status 3\n')
    expect(r.stderr).toMatch(/error: deployment dep-\S+ of \/crash failed: tasks of \/crash keep failing: exited with status 3\n$/)
  })

  test('stuck: --timeout exits 1 with why no instance runs; show tells the same; scale is refused (409)', async () => {
    const f = file('big.json', app('/prod/big', { cpus: 4, constraints: [['hostname', 'UNIQUE']], labels: { 'test/stuck': 'no agent can offer cpus 4' } }))
    const r = await meso(['service', 'deploy', f, '--timeout', '1s'])
    expect(r.code).toBe(1)
    const id = DEP.exec(r.stdout)![0]
    const why = '/prod/big waiting: 2 instances; last 10 offers: 6 declined InsufficientCpus (needs cpus 4), 4 UnfulfilledConstraint (hostname:UNIQUE)'
    expect(r.stderr).toContain(`deployment ${id} waiting on: no agent can offer cpus 4\n`)
    expect(r.stderr).toContain(`/prod/big: waiting: 2 instances; last 10 offers:`)
    expect(r.stderr).toEndWith(`error: deployment ${id} of /prod/big did not finish within 1s (it goes on; undo it with 'meso service rollback /prod/big ${id}'): no agent can offer cpus 4; ${why}\n`)

    const show = await meso(['service', 'show', 'prod/big'])
    expect(show.code).toBe(0)
    expect(show.stdout).toContain('instances    0/2 running\n')
    expect(show.stdout).toContain('constraints  hostname:UNIQUE\n')
    expect(show.stdout).toMatch(new RegExp(`deployment ${id}: step 1/1: StartApplication /prod/big, started \\d+s ago\n  waiting on: no agent can offer cpus 4\n`))
    expect(show.stdout).toContain('waiting: 2 instances; last 10 offers: 6 declined InsufficientCpus (needs cpus 4), 4 UnfulfilledConstraint (hostname:UNIQUE)\n  agent node-1 (agent-1): InsufficientCpus, ')
    expect(show.stdout).toContain('  agent node-2 (agent-2): UnfulfilledConstraint, ')
    expect(show.stdout).toEndWith('no tasks\n')
    const json = JSON.parse((await meso(['service', 'show', '/prod/big', '--json'])).stdout)
    expect(json.deployments.map((d: { id: string }) => d.id)).toEqual([id])
    expect(json.queue.processedOffersSummary.rejectSummaryLastOffers[1]).toEqual({ reason: 'InsufficientCpus', declined: 6, processed: 10 })
    expect(json.app.id).toBe('/prod/big')

    const scale = await meso(['service', 'scale', '/prod/big', '1'])
    expect(scale).toEqual({ code: 1, stdout: '', stderr: `error: scaling service '/prod/big' failed: /prod/big is locked by deployment ${id} in progress; wait for it ('meso service show /prod/big'), undo it ('meso service rollback /prod/big'), or override it with --force\n` })
  })

  test('rollback undoes the deployment in progress (reverting a creation removes the app)', async () => {
    const r = await meso(['service', 'rollback', '/prod/big'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^rolling back deployment (dep-\S+) of \/prod\/big \(deployment dep-\S+ reverts it\)\n$/)
    expect(r.stderr).toContain('/prod/big: removed\n')
    expect(fake.requests.some(q => /^DELETE \/v2\/deployments\/dep-/.test(q))).toBe(true)
    expect(await meso(['service', 'show', '/prod/big'])).toMatchObject({ code: 1, stderr: "error: reading service '/prod/big' failed: App '/prod/big' does not exist\n" })
  })

  test('Ctrl-C stops following, not the deployment: exit 130 and what to do; --force overrides it; rollback --stop stops it', async () => {
    const proc = spawn(['service', 'deploy', file('stuck2.json', app('stuck2', { labels: { 'test/stuck': 'waiting' } }))])
    const out = new Response(proc.stdout).text()
    const err = new Response(proc.stderr).text()
    for (let i = 0; i < 200 && !fake.deployments.size; i++) await Bun.sleep(50)
    await Bun.sleep(500)
    proc.kill('SIGINT')
    expect(await proc.exited).toBe(130)
    expect(await out).toMatch(/^service \/stuck2 created/)
    expect(await err).toMatch(/stopped following deployment dep-\S+ of \/stuck2; it goes on \(see 'meso service show \/stuck2'; undo it with 'meso service rollback \/stuck2 dep-\S+'\)\n$/)
    expect([...fake.deployments.values()].some(d => d.parts.some(p => p.appId === '/stuck2'))).toBe(true)
    const forced = await meso(['service', 'scale', '/stuck2', '1', '--force', '--no-wait'])
    expect(forced.code).toBe(0)
    expect(forced.stdout).toMatch(/^scaling service \/stuck2 to 1 instance \(deployment dep-\S+\)\n$/)
    expect(fake.requests).toContain('PUT /v2/apps/stuck2?force=true')
    expect(await meso(['service', 'rollback', 'stuck2', '--stop'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^deployment dep-\S+ of \/stuck2 stopped where it was; nothing was reverted/) })
    expect(fake.requests.some(q => /^DELETE \/v2\/deployments\/dep-\S+\?force=true$/.test(q))).toBe(true)
  })
})

// On a terminal the progress is a block redrawn in place (util-linux `script` gives the command one).
const scriptBin = Bun.which('script')
test.skipIf(!scriptBin)('on a terminal: the block is redrawn in place and ends with the outcome', async () => {
  const f = file('tty.json', app('tty', { instances: 1 }))
  const cmd = [process.execPath, join(ROOT, 'src', 'main.ts'), 'service', 'deploy', f, `--master=${fake.url}`].map(a => `'${a}'`).join(' ')
  const proc = Bun.spawn([scriptBin!, '-qec', cmd, '/dev/null'], {
    cwd: dir, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, NO_COLOR: '1', COLUMNS: '120', TERM: 'xterm' },
  })
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited])
  expect(code).toBe(0)
  const frames = out.split(/\x1b\[\d+A\r\x1b\[J/)
  expect(frames.length).toBeGreaterThan(1)
  expect(frames.at(-1)).toMatch(/^deployment dep-\S+  succeeded\r?\n\/tty  1\/1 running\r?\n\d+s\r?\n$/)
})

describe('meso service list / show / tasks / versions', () => {
  test('list: a table; --json', async () => {
    const r = await meso(['service', 'list'])
    expect(r.code).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^ID +RUNNING +HEALTHY +DEPLOYMENTS +CPUS +MEM +VERSION$/)
    expect(lines.find(l => l.startsWith('/web '))).toMatch(/^\/web +2\/2 +2\/2 +- +0\.1 +32 +\d{4}-\d\d-\d\dT/)
    expect(lines.find(l => l.startsWith('/shop/db '))).toMatch(/^\/shop\/db +1\/1 +- +- +0\.1 +32 /)
    const j = JSON.parse((await meso(['service', 'list', '--json'])).stdout)
    expect(j.map((a: { id: string }) => a.id)).toContain('/web')
    expect(fake.requests).toContain('GET /v2/apps?embed=apps.counts&embed=apps.deployments')
  })

  test('show: definition, instances, tasks with health', async () => {
    const r = await meso(['service', 'show', 'web'])
    expect(r.code).toBe(0)
    expect(r.stdout).toStartWith('service        /web\ninstances      2/2 running, 2 healthy\ncommand        sleep 2000\nresources      cpus 0.1, mem 32 MB, disk 0 MB\nhealth checks  COMMAND true\n')
    expect(r.stdout).toContain('\nno deployment in progress\n')
    expect(r.stdout).toMatch(/TASK +HOST +STATE +HEALTH +PORTS +STARTED +VERSION\nweb\.instance-\S+ +127\.0\.0\.1 +TASK_RUNNING +healthy +31000 /)
  })

  test('tasks and versions, tables and --json', async () => {
    const t = await meso(['service', 'tasks', '/web'])
    expect(t.stdout.split('\n').filter(l => l.startsWith('web.instance-')).length).toBe(2)
    expect(JSON.parse((await meso(['service', 'tasks', '/web', '--json'])).stdout)[0]).toMatchObject({ appId: '/web', state: 'TASK_RUNNING', healthCheckResults: [{ alive: true }] })
    const v = await meso(['service', 'versions', '/web'])
    expect(v.stdout).toMatch(/^VERSION +CURRENT\n\S+ +current\n\S+ +-\n$/)
    expect(JSON.parse((await meso(['service', 'versions', '/web', '--json'])).stdout).length).toBe(2)
  })

  test('an unknown service: the API\'s 404 message, exit 1', async () => {
    expect(await meso(['service', 'tasks', 'nope'])).toMatchObject({ code: 1, stderr: "error: listing the tasks of service '/nope' failed: App '/nope' does not exist\n" })
  })
})

describe('meso service scale / restart / rollback / rm', () => {
  test('scale follows to the new count; restart; rollback without a deployment deploys the previous configuration', async () => {
    const s = await meso(['service', 'scale', 'web', '3'])
    expect(s.code).toBe(0)
    expect(s.stdout).toMatch(/^scaling service \/web to 3 instances \(deployment dep-\S+\)\n$/)
    expect(s.stderr).toContain('/web: 3/3 running, 3 healthy\n')
    const rs = await meso(['service', 'restart', '/web', '--json'])
    expect(rs.code).toBe(0)
    expect(JSON.parse(rs.stdout)).toMatchObject({ deploymentId: expect.stringMatching(DEP), version: expect.any(String) })
    expect(fake.requests).toContain('POST /v2/apps/web/restart')
    // Versions: created (sleep 1000), updated (sleep 2000), scaled, restarted: the configuration before is the scaled one.
    const rb = await meso(['service', 'rollback', '/web'])
    expect(rb.code).toBe(0)
    expect(rb.stdout).toMatch(/^rolling service \/web back to version \S+ \(deployment dep-\S+\)\n$/)
    expect(fake.requests).toContain('PUT /v2/apps/web') // {"version": …}, as marathon-python's rollback_app
    const show = await meso(['service', 'show', '/web', '--json'])
    expect(JSON.parse(show.stdout).app).toMatchObject({ cmd: 'sleep 2000', instances: 3 })
  })

  test('rm follows the removal; the app is gone', async () => {
    const r = await meso(['service', 'rm', '/shop/db'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^removing service \/shop\/db \(deployment dep-\S+\)\n$/)
    expect(r.stderr).toMatch(/deployment dep-\S+ succeeded\n$/)
    expect(fake.apps.has('/shop/db')).toBe(false)
  })

  test('without the event stream the CLI polls: success when the apps are as wanted, failure when not', async () => {
    fake.eventsEnabled = false
    try {
      const r = await meso(['service', 'scale', '/shop/front', '2'])
      expect(r.code).toBe(0)
      expect(r.stderr).toStartWith("following by polling: opening the event stream failed: not found\n")
      expect(r.stderr).toContain('/shop/front: 2/2 running\n')
      const bad = await meso(['service', 'deploy', file('crash2.json', app('crash2', { instances: 1, labels: { 'test/fail': 'oom' } }))])
      expect(bad.code).toBe(1)
      expect(bad.stderr).toMatch(/error: deployment dep-\S+ of \/crash2 failed: the deployment ended \(cancelled or replaced\) while \/crash2 runs 0 of 1 instances\n$/)
    } finally {
      fake.eventsEnabled = true
    }
  })

  test('usage errors exit 2; an unreachable master exits 125', async () => {
    expect(await meso(['service', 'scale', 'web', 'many'])).toMatchObject({ code: 2, stderr: 'error: INSTANCES must be a whole number from 0 to 10000, got many\n' })
    expect(await meso(['service', 'restart', 'web', '--timeout', 'soon'])).toMatchObject({ code: 2, stderr: "error: --timeout: invalid duration 'soon' (examples: 15secs, 10mins, 1hrs)\n" })
    expect(await meso(['service', 'rm', 'web', '--no-wait', '--timeout', '5s'])).toMatchObject({ code: 2, stderr: 'error: --timeout limits how long the deployment is followed, and --no-wait does not follow it: use one of them\n' })
    expect(await meso(['service', 'scale', 'web'])).toMatchObject({ code: 2, stderr: "error: missing INSTANCES; see 'meso service scale --help'\n" })
    const down = await meso(['service', 'list'], { master: 'http://127.0.0.1:1' })
    expect(down.code).toBe(125)
    expect(down.stderr).toStartWith('error: cannot reach http://127.0.0.1:1 ')
  })
})
