// `meso service` against a real master (its services scheduler and Marathon's /v2 API, docs/services.md) and
// agent: deploy an app from JSON and follow it to success, list and show it, scale it, update it and roll back to
// the previous configuration, a deploy that cannot place its instances (more cpus than the agent has) exiting 1
// after --timeout with why-not-running from /v2/queue, shown again by `service show`, undone by rollback, a group
// deployed in one deployment, `service endpoints` of an app with a VIP label (its DNS names checked against the
// master's DNS), and rm.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { meso, startAgent, startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'

const dir = tempDir('meso-services-cli-')
let master: Daemon
let agent: Daemon

beforeAll(async () => {
  // DNS for `service endpoints`' names; no l4lb: this test needs the master's VIP table, not the host's nftables.
  master = await startMaster(join(dir, 'master'), ['--allocation_interval=100ms', '--dns', '--dns_port=0', '--dns_resolvers=none'])
  agent = await startAgent(master.url, join(dir, 'agent'), ['--launcher=posix', '--resources=cpus:2;mem:1024;disk:1024;ports:[31000-31099]', '--no-l4lb'])
})

afterAll(async () => {
  await agent?.kill().catch(() => {})
  await master?.kill().catch(() => {})
})

const file = (name: string, value: unknown) => { const p = join(dir, name); writeFileSync(p, JSON.stringify(value)); return p }
const service = (...args: string[]) => meso(['service', ...args, `--master=${master.url}`], { timeoutMs: 90_000 })
const SLEEPER = { id: '/e2e/sleeper', cmd: 'sleep 1000', cpus: 0.1, mem: 32, instances: 2 }

describe('meso service with a real master and agent', () => {
  test('deploy from JSON, list, show, scale, update and roll back to the previous configuration', async () => {
    const d = await service('deploy', file('sleeper.json', SLEEPER), '--timeout', '60s')
    expect(d.code).toBe(0)
    expect(d.stdout).toMatch(/^service \/e2e\/sleeper created \(deployment \S+\)\n$/)
    expect(d.stderr).toContain('/e2e/sleeper: 2/2 running\n')
    expect(d.stderr).toMatch(/deployment \S+ succeeded\n$/)

    const list = await service('list')
    expect(list.code).toBe(0)
    expect(list.stdout.split('\n').find(l => l.startsWith('/e2e/sleeper '))).toMatch(/^\/e2e\/sleeper +2\/2 +- +- +0\.1 +32 +\d{4}-/)

    const show = await service('show', 'e2e/sleeper')
    expect(show.code).toBe(0)
    expect(show.stdout).toStartWith('service    /e2e/sleeper\ninstances  2/2 running\ncommand    sleep 1000\n')
    expect(show.stdout).toContain('\nno deployment in progress\n')
    expect(show.stdout.split('\n').filter(l => / TASK_RUNNING /.test(l)).length).toBe(2)

    const scale = await service('scale', '/e2e/sleeper', '3', '--timeout', '60s')
    expect(scale.code).toBe(0)
    expect(scale.stderr).toContain('/e2e/sleeper: 3/3 running\n')
    const tasks = JSON.parse((await service('tasks', '/e2e/sleeper', '--json')).stdout)
    expect(tasks.length).toBe(3)

    const update = await service('deploy', file('sleeper2.json', { ...SLEEPER, cmd: 'sleep 2000', instances: 3 }), '--timeout', '60s')
    expect(update.code).toBe(0)
    expect(update.stdout).toMatch(/^service \/e2e\/sleeper updated/)
    expect(JSON.parse((await service('show', '/e2e/sleeper', '--json')).stdout).app.cmd).toBe('sleep 2000')

    const versions = await service('versions', '/e2e/sleeper')
    expect(versions.stdout.trimEnd().split('\n').length).toBe(4) // header + created, scaled, updated

    const rollback = await service('rollback', '/e2e/sleeper', '--timeout', '60s')
    expect(rollback.code).toBe(0)
    expect(rollback.stdout).toMatch(/^rolling service \/e2e\/sleeper back to version \S+ \(deployment \S+\)\n$/)
    const after = JSON.parse((await service('show', '/e2e/sleeper', '--json')).stdout).app
    expect(after).toMatchObject({ cmd: 'sleep 1000', instances: 3, tasksRunning: 3 })
  }, 240_000)

  test('a deploy that cannot place its instances: --timeout exits 1 saying why, show says it too, rollback undoes it', async () => {
    const big = file('big.json', { id: '/e2e/big', cmd: 'sleep 1000', cpus: 8, mem: 32, instances: 1 })
    const d = await service('deploy', big, '--timeout', '4s')
    expect(d.code).toBe(1)
    expect(d.stderr).toMatch(/\/e2e\/big: waiting: 1 instance; last \d+ offers?: \d+ declined InsufficientCpus \(needs cpus 8\)\n/)
    expect(d.stderr).toMatch(/error: deployment \S+ of \/e2e\/big did not finish within 4s \(it goes on; undo it with 'meso service rollback \/e2e\/big \S+'\): .*InsufficientCpus \(needs cpus 8\)\n$/)

    const show = await service('show', '/e2e/big')
    expect(show.code).toBe(0)
    expect(show.stdout).toContain('instances  0/1 running\n')
    expect(show.stdout).toMatch(/\ndeployment \S+: step \d\/\d: \w+Application \/e2e\/big/)
    expect(show.stdout).toMatch(/\nwaiting: 1 instance; last \d+ offers?: \d+ declined InsufficientCpus \(needs cpus 8\)\n  agent \S+ \(\S+\): InsufficientCpus, \d+s ago\n/)

    const scale = await service('scale', '/e2e/big', '2')
    expect(scale.code).toBe(1)
    expect(scale.stderr).toMatch(/^error: scaling service '\/e2e\/big' failed: \/e2e\/big is locked by deployment \S+ in progress; .*or override it with --force\n$/)

    const rollback = await service('rollback', '/e2e/big', '--timeout', '60s')
    expect(rollback.code).toBe(0)
    expect(rollback.stdout).toMatch(/^rolling back deployment \S+ of \/e2e\/big \(deployment \S+ reverts it\)\n$/)
    expect(rollback.stderr).toContain('/e2e/big: removed\n')
    expect((await service('show', '/e2e/big')).code).toBe(1)
  }, 120_000)

  test('a group from YAML on stdin: one deployment for its apps', async () => {
    const yaml = Bun.YAML.stringify({ id: '/e2e/shop', apps: [
      { id: 'front', cmd: 'sleep 1000', cpus: 0.1, mem: 32, instances: 1 },
      { id: 'db', cmd: 'sleep 1000', cpus: 0.1, mem: 32, instances: 1 },
    ] })
    const d = await meso(['service', 'deploy', '-', `--master=${master.url}`, '--timeout', '60s'], { stdin: yaml, timeoutMs: 90_000 })
    expect(d.code).toBe(0)
    const [front, db] = d.stdout.trimEnd().split('\n')
    expect(front).toMatch(/^service \/e2e\/shop\/front created \(deployment (\S+)\)$/)
    expect(db).toBe(front!.replace('front', 'db'))
    expect(d.stderr).toContain('/e2e/shop/db: 1/1 running\n')
    expect(d.stderr).toContain('/e2e/shop/front: 1/1 running\n')
    expect((await service('rm', '/e2e/shop/front', '--timeout', '60s')).code).toBe(0)
    expect((await service('rm', '/e2e/shop/db', '--timeout', '60s')).code).toBe(0)
  }, 120_000)

  test('endpoints: an app with a port and a VIP label, its host:port, DNS names that resolve, and the VIP', async () => {
    const def = { id: '/e2e/vipweb', cmd: 'sleep 1000', cpus: 0.1, mem: 32, instances: 1, portDefinitions: [{ port: 0, name: 'http', labels: { VIP_0: '/e2e/vipweb:8080' } }] }
    expect((await service('deploy', file('vipweb.json', def), '--timeout', '60s')).code).toBe(0)
    // The VIP table follows the task's RUNNING status (src/master/vips/).
    const view = await waitFor('the VIP of /e2e/vipweb', async () => {
      const j = JSON.parse((await service('endpoints', '/e2e/vipweb', '--json')).stdout)
      return j.vips.length ? j : undefined
    }, 30_000, 300)
    const address: string = view.tasks[0].endpoints[0].address
    const port = Number(address.split(':').pop())
    const vipIp = String(view.vips[0].vip).split(':')[0]!
    expect(view.vips[0]).toMatchObject({ vip: expect.stringMatching(/^11\.\d+\.\d+\.\d+:8080$/), protocol: 'tcp', name: '/e2e/vipweb', total_backends: 1, backends: [{ port, task_id: view.tasks[0].id, serving: true }] })

    const r = await service('endpoints', 'e2e/vipweb')
    expect(r.code).toBe(0)
    const lines = r.stdout.split('\n')
    expect(lines[0]).toBe('service  /e2e/vipweb')
    expect(lines[1]).toBe('dns      e2e-vipweb.marathon.mesos, _e2e-vipweb._tcp.marathon.mesos (SRV), _http._e2e-vipweb._tcp.marathon.mesos (SRV)')
    expect(lines[2]).toMatch(/^vip      \/e2e\/vipweb 11\.\d+\.\d+\.\d+:8080\/tcp: e2evipweb\.marathon\.l4lb\.thisdcos\.directory, e2evipweb\.vip\.mesos; 1 of 1 backends serving$/)
    expect(lines.find(l => l.startsWith('e2e_vipweb.'))).toMatch(new RegExp(`^e2e_vipweb\\.\\S+ +TASK_RUNNING +- +0 \\(http\\) +tcp +host +${address.replace(/\./g, '\\.')}$`))

    // The names it shows are the ones the master's DNS serves.
    const dns = (...a: string[]) => meso(['dns', 'lookup', ...a, `--master=${master.url}`])
    expect((await dns('e2e-vipweb.marathon.mesos')).code).toBe(0)
    expect((await dns('_http._e2e-vipweb._tcp.marathon.mesos', '--type', 'SRV')).stdout).toContain(` ${port} `)
    expect((await dns('e2evipweb.vip.mesos')).stdout).toContain(vipIp)
    expect((await service('rm', '/e2e/vipweb', '--timeout', '60s')).code).toBe(0)
  }, 120_000)

  test('rm removes the service and its tasks', async () => {
    const rm = await service('rm', '/e2e/sleeper', '--timeout', '60s')
    expect(rm.code).toBe(0)
    expect(rm.stderr).toMatch(/deployment \S+ succeeded\n$/)
    expect(await service('list')).toMatchObject({ code: 0, stdout: "no services; deploy one with 'meso service deploy FILE'\n" })
  }, 120_000)
})
