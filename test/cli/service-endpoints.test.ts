// `meso service endpoints`: the pure view (host ports on the host's network, container addresses on a CNI network,
// the Mesos-DNS names, the app's VIPs) and the command against the fake Marathon (test/cli/service-fake-marathon.ts):
// the table, --json, a master that does not say its DNS settings (a warning, the endpoints still shown), an unknown
// app (exit 1).

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { appDnsNames, appEndpoints, endpointRows, endpointSummary, taskEndpoints } from '../../src/cli/service-endpoints.ts'
import type { AppInfo, AppTask } from '../../src/client/services.ts'
import { rfc1123, rfc952 } from '../../src/master/dns/labels.ts'
import type { VipEntry } from '../../src/master/vips/vip-table.ts'
import { FakeMarathon } from './service-fake-marathon.ts'

const HOST_APP: AppInfo = { id: '/shop/web', portDefinitions: [{ port: 0, name: 'http', protocol: 'tcp', labels: { VIP_0: '/shop/web:80' } }, { port: 0, protocol: 'udp,tcp' }] }
const CNI_APP: AppInfo = {
  id: '/api', networks: [{ mode: 'container', name: 'meso' }],
  container: { type: 'MESOS', portMappings: [{ containerPort: 8080, hostPort: 0, name: 'http' }, { containerPort: 9090 }] },
}
const task = (id: string, over: Partial<AppTask> = {}): AppTask => ({ id, appId: '/x', host: 'node-a', state: 'TASK_RUNNING', ...over })

describe('the view', () => {
  test('host networking: host:port per port and protocol, named where the definition names it', () => {
    const t = taskEndpoints(HOST_APP, task('shop_web.1', { ports: [31000, 31001], healthCheckResults: [{ alive: true }] }))
    expect(t).toEqual({
      id: 'shop_web.1', host: 'node-a', state: 'TASK_RUNNING', health: 'healthy', ip_addresses: [],
      endpoints: [
        { port_index: 0, name: 'http', protocol: 'tcp', network: 'host', address: 'node-a:31000' },
        { port_index: 1, protocol: 'udp', network: 'host', address: 'node-a:31001' },
        { port_index: 1, protocol: 'tcp', network: 'host', address: 'node-a:31001' },
      ],
    })
  })

  test('a CNI network: container IP and port, and the host port where a mapping publishes one', () => {
    const t = taskEndpoints(CNI_APP, task('api.1', { ports: [31005], ipAddresses: [{ ipAddress: '172.31.0.2', protocol: 'IPv4' }] }))
    expect(t.endpoints.map(e => `${e.port_index} ${e.network} ${e.address}`)).toEqual(['0 meso 172.31.0.2:8080', '0 host node-a:31005', '1 meso 172.31.0.2:9090'])
    // Not running yet: no address, so no container endpoint; the row says so.
    const staging = taskEndpoints(CNI_APP, task('api.2', { state: 'TASK_STAGING', ports: [31006] }))
    expect(staging.endpoints.map(e => e.address)).toEqual(['node-a:31006'])
    const none = appEndpoints({ id: '/w', portDefinitions: [] }, [task('w.1')], [], { dns: { enabled: false }, spec: rfc1123 })
    expect(endpointRows(none)).toEqual([['w.1', 'TASK_RUNNING', '-', '-', '-', '-', '-']])
  })

  test("DNS names by Mesos-DNS' rules: the task name's label, the framework, the ports' SRV names", () => {
    expect(appDnsNames(HOST_APP, 'marathon', 'mesos', rfc1123)).toEqual([
      { name: 'shop-web.marathon.mesos', type: 'A' },
      { name: '_shop-web._tcp.marathon.mesos', type: 'SRV' },
      { name: '_shop-web._udp.marathon.mesos', type: 'SRV' },
      { name: '_http._shop-web._tcp.marathon.mesos', type: 'SRV' },
    ])
    expect(appDnsNames({ id: '/9lives' }, 'marathon', 'cluster.local', rfc952)).toEqual([{ name: 'lives.marathon.cluster.local', type: 'A' }])
  })

  test("VIPs: those with the app's tasks as backends, only those backends, with the VIP's DNS names", () => {
    const vips: VipEntry[] = [
      { vip: '11.0.0.1:80', ip: '11.0.0.1', port: 80, protocol: 'tcp', name: 'shop/web', framework: 'marathon', backends: [
        { ip: '10.0.0.5', port: 31000, framework_id: 'fw', task_id: 'shop_web.1', agent_id: 'a1', healthy: true, serving: true },
        { ip: '10.0.0.6', port: 31000, framework_id: 'fw', task_id: 'other.1', agent_id: 'a2', serving: true },
      ] },
      { vip: '11.0.0.2:53', ip: '11.0.0.2', port: 53, protocol: 'udp', name: 'dns', framework: 'marathon', backends: [{ ip: '10.0.0.6', port: 53, framework_id: 'fw', task_id: 'other.1', agent_id: 'a2', serving: true }] },
      // The same task id in another framework is not this app's.
      { vip: '10.1.1.1:80', ip: '10.1.1.1', port: 80, protocol: 'tcp', backends: [{ ip: '10.0.0.7', port: 80, framework_id: 'fw2', task_id: 'shop_web.1', agent_id: 'a3', serving: true }] },
    ]
    const view = appEndpoints(HOST_APP, [task('shop_web.1', { ports: [31000, 31001] })], vips, { dns: { enabled: true, domain: 'mesos' }, framework: { name: 'marathon', id: 'fw' }, spec: rfc1123 })
    expect(view.vips).toEqual([{
      vip: '11.0.0.1:80', protocol: 'tcp', name: '/shop/web', dns_names: ['shopweb.marathon.l4lb.thisdcos.directory', 'shopweb.vip.mesos'],
      backends: [vips[0]!.backends[0]!], total_backends: 2,
    }])
    expect(endpointSummary(view)).toEqual([
      ['service', '/shop/web'],
      ['dns', 'shop-web.marathon.mesos, _shop-web._tcp.marathon.mesos (SRV), _shop-web._udp.marathon.mesos (SRV), _http._shop-web._tcp.marathon.mesos (SRV)'],
      ['vip', '/shop/web 11.0.0.1:80/tcp: shopweb.marathon.l4lb.thisdcos.directory, shopweb.vip.mesos; 1 of 1 backends serving (1 of other tasks)'],
    ])
  })

  test('the DNS line: off, unknown', () => {
    expect(endpointSummary(appEndpoints(HOST_APP, [], [], { dns: { enabled: false }, spec: rfc1123 }))[1]).toEqual(['dns', 'none (the master serves no DNS: meso master --dns)'])
    expect(appEndpoints(HOST_APP, [], [], { spec: rfc1123 }).dns).toBe('unknown')
    // DNS on, but the framework's name unknown: its names cannot be made.
    expect(appEndpoints(HOST_APP, [], [], { dns: { enabled: true }, spec: rfc1123 })).toMatchObject({ dns: 'unknown' })
  })
})

const ROOT = resolve(import.meta.dir, '../..')
const dir = mkdtempSync(join(tmpdir(), 'meso-service-endpoints-'))
const fake = new FakeMarathon()

beforeAll(async () => {
  fake.start()
  for (const def of [
    { id: '/shop/web', cmd: 'serve', instances: 2, cpus: 0.1, mem: 32, portDefinitions: [{ port: 0, name: 'http', labels: { VIP_0: '/shop/web:80' } }], healthChecks: [{ protocol: 'COMMAND', command: { value: 'true' } }] },
    { id: '/api', cmd: 'serve', instances: 1, cpus: 0.1, mem: 32, networks: [{ mode: 'container', name: 'meso' }], container: { type: 'MESOS', portMappings: [{ containerPort: 8080, name: 'http' }] } },
  ]) {
    const r = await fetch(`${fake.url}/v2/apps${def.id}`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(def) })
    expect(r.status).toBe(201)
  }
  for (let i = 0; i < 200; i++) {
    const apps = (await (await fetch(`${fake.url}/v2/apps`)).json() as { apps: AppInfo[] }).apps
    if (apps.every(a => a.tasksRunning === a.instances)) break
    await Bun.sleep(25)
  }
  const web = (await (await fetch(`${fake.url}/v2/apps/shop/web/tasks`)).json() as { tasks: AppTask[] }).tasks
  fake.vips = [{ vip: '11.0.0.1:80', ip: '11.0.0.1', port: 80, protocol: 'tcp', name: 'shop/web', framework: 'marathon', backends: web.map((t, i) => ({ ip: '127.0.0.1', port: 31000, framework_id: fake.frameworkId, task_id: t.id, agent_id: 'agent-1', healthy: true, serving: i === 0 })) }]
})
afterAll(() => { fake.stop(); rmSync(dir, { recursive: true, force: true }) })

async function meso(args: string[]) {
  const proc = Bun.spawn([process.execPath, join(ROOT, 'src', 'main.ts'), ...args, `--master=${fake.url}`], {
    cwd: dir, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, NO_COLOR: '1', COLUMNS: '200' },
  })
  const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000)
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  clearTimeout(timer)
  return { stdout, stderr, code }
}

describe('meso service endpoints', () => {
  test('a table: the DNS names and the VIP above, one row per task and port', async () => {
    const r = await meso(['service', 'endpoints', 'shop/web'])
    expect(r).toMatchObject({ code: 0, stderr: '' })
    const lines = r.stdout.split('\n')
    expect(lines.slice(0, 3)).toEqual([
      'service  /shop/web',
      'dns      shop-web.marathon.mesos, _shop-web._tcp.marathon.mesos (SRV), _http._shop-web._tcp.marathon.mesos (SRV)',
      'vip      /shop/web 11.0.0.1:80/tcp: shopweb.marathon.l4lb.thisdcos.directory, shopweb.vip.mesos; 1 of 2 backends serving',
    ])
    expect(lines[4]).toMatch(/^TASK +STATE +HEALTH +PORT +PROTO +NETWORK +ENDPOINT$/)
    expect(lines.filter(l => /^shop_web\.\S+ +TASK_RUNNING +healthy +0 \(http\) +tcp +host +127\.0\.0\.1:31000$/.test(l)).length).toBe(2)
  })

  test('a CNI app: the container address and port; --json', async () => {
    const r = await meso(['service', 'endpoints', '/api'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/\napi\.\S+ +TASK_RUNNING +- +0 \(http\) +tcp +meso +172\.31\.0\.2:8080\n$/)
    const j = JSON.parse((await meso(['service', 'endpoints', '/api', '--json'])).stdout)
    expect(j).toMatchObject({ app: '/api', dns: 'served', dns_names: [{ name: 'api.marathon.mesos', type: 'A' }, { name: '_api._tcp.marathon.mesos', type: 'SRV' }, { name: '_http._api._tcp.marathon.mesos', type: 'SRV' }], vips: [] })
    expect(j.tasks[0]).toMatchObject({ state: 'TASK_RUNNING', ip_addresses: ['172.31.0.2'], endpoints: [{ port_index: 0, name: 'http', protocol: 'tcp', network: 'meso', address: '172.31.0.2:8080' }] })
    expect(fake.requests).toContain('GET /api/meso/v1/vips')
  })

  test('a master that does not say its DNS settings: a warning, the endpoints still shown', async () => {
    const saved = fake.dns
    fake.dns = undefined
    try {
      const r = await meso(['service', 'endpoints', '/api'])
      expect(r.code).toBe(0)
      expect(r.stderr).toMatch(/^warning: no DNS names \(the DNS settings are unknown\): .*404/)
      expect(r.stdout).toContain('\ndns      unknown (the master did not say; see the warning)\n')
      expect(r.stdout).toContain('172.31.0.2:8080')
    } finally { fake.dns = saved }
  })

  test('an unknown app: the API\'s 404 message, exit 1', async () => {
    expect(await meso(['service', 'endpoints', 'nope'])).toMatchObject({ code: 1, stderr: "error: reading service '/nope' failed: App '/nope' does not exist\n" })
  })
})
