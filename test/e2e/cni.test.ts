// Tasks on a CNI network of the test's own (real bridge, host-local and portmap plugins, traffic only between the
// test's namespaces and the host): per-task IPs in every API, task-to-task traffic, port mappings from the host,
// task groups sharing the executor's namespace, clear errors, and no leaks after 100 containers or a kill -9 of the
// agent with 10 running.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { CniNetworking } from '../../src/agent/isolators/network/cni/cni-networking.ts'
import { netnsName, netnsPath } from '../../src/agent/isolators/network/cni/netns.ts'
import { DEFAULT_LINUX_ISOLATION } from '../../src/agent/isolators/index.ts'
import { cniUnavailable, createTestNetwork, type TestNetwork } from '../helpers/cni-network.ts'
import { commandTask, frameworkInfo, RawScheduler } from '../helpers/raw-scheduler.ts'
import { meso, startAgent, startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'

const problem = linuxLauncherUnavailable({}) ?? cniUnavailable()
if (problem) console.warn(`\n*** SKIPPING CNI tests: ${problem} ***\n`)
const suite = problem ? describe.skip : describe

const dir = tempDir('meso-cni-e2e-')
const agentDir = join(dir, 'agent')
const stateDir = join(agentDir, 'run', 'isolators', 'network', 'cni')
const daemons: Daemon[] = []
let net: TestNetwork | undefined
let master: Daemon
let agent: Daemon
let agentFlags: string[]
// A host port range of this run's own, so parallel runs do not map the same ports.
const portBase = 31000 + Math.floor(Math.random() * 90) * 10

afterAll(async () => {
  for (const d of daemons) await d.kill('SIGKILL').catch(() => {})
  // Containers a failed test left running are killed, and their networks released from the checkpoint.
  const crunRoot = join(agentDir, 'run', 'oci')
  const list = JSON.parse(Bun.spawnSync(['crun', `--root=${crunRoot}`, 'list', '--format=json']).stdout.toString() || '[]') as { id: string }[]
  for (const c of list) Bun.spawnSync(['crun', `--root=${crunRoot}`, 'delete', '--force', c.id])
  if (net) await new CniNetworking({ pluginDirs: [net.pluginsDir], configDir: net.configDir, stateDir }).recover(new Set())
  net?.cleanup()
  rmSync(dir, { recursive: true, force: true })
})

const run = (args: string[], cmd: string[], timeoutMs?: number) => meso(['task', 'run', `--master=${master.url}`, ...args, '--', ...cmd], { timeoutMs })
const operator = async (url: string, type: string) => (await (await fetch(`${url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type }) })).json()) as any
/** A web server in the task's sandbox answering `text` on `port`. */
const webServer = (text: string, port = 8080) => ['sh', '-c', `echo ${text} > index.html && exec busybox httpd -f -p ${port} -h .`]
const taskIp = async (taskId: string) => {
  const r = await meso(['task', 'list', `--master=${master.url}`, '--json'])
  return (JSON.parse(r.stdout) as any[]).find(t => t.id === taskId)?.ip_addresses?.[0] as string | undefined
}
const inSubnet = (ip: string) => ip.startsWith(net!.subnet.split('.').slice(0, 3).join('.') + '.')
const containerIds = (s: RawScheduler) => [...new Set(s.events.filter(e => e.type === 'UPDATE' && e.update.status.container_status?.container_id).map(e => e.update.status.container_status.container_id.value as string))]

suite('tasks on a CNI network', () => {
  beforeAll(async () => {
    net = createTestNetwork(dir)
    master = await startMaster(join(dir, 'master'), ['--allocation_interval=100ms'])
    agentFlags = ['--launcher=linux', `--isolation=${DEFAULT_LINUX_ISOLATION},network/cni`, ...net.agentFlags,
      `--resources=cpus:8;mem:8192;ports:[${portBase}-${portBase + 9}]`, '--registration_backoff_factor=100ms']
    agent = await startAgent(master.url, agentDir, agentFlags)
    daemons.push(master, agent)
  })

  test('two tasks get different IPs (in TaskStatus, GET_TASKS, /master/state, task list); one reaches the other\'s server', async () => {
    const web = await run(['--detach', '--name=web', `--network=${net!.name}`], webServer('hello-from-cni'))
    expect(web.code).toBe(0)
    const webId = web.stdout.trim()
    const ip = (await waitFor('the server task\'s IP', () => taskIp(webId)))!
    expect(inSubnet(ip)).toBe(true)
    const tasks = (await operator(master.url, 'GET_TASKS')).get_tasks.tasks as any[]
    const running = tasks.find(t => t.task_id.value === webId).statuses.find((s: any) => s.state === 'TASK_RUNNING')
    expect(running.container_status.network_infos).toEqual([{ name: net!.name, ip_addresses: [{ protocol: 'IPv4', ip_address: ip }] }])
    const state = (await (await fetch(`${master.url}/master/state`)).json()) as any
    const t = state.frameworks.flatMap((f: any) => f.tasks).find((x: any) => x.id === webId)
    expect(t.statuses.at(-1).container_status.network_infos[0].ip_addresses[0].ip_address).toBe(ip)
    expect((await meso(['task', 'list', `--master=${master.url}`])).stdout).toContain(ip)

    const client = await run([`--network=${net!.name}`], ['sh', '-c',
      `for i in $(seq 100); do busybox wget -q -O - http://${ip}:8080/ && break; sleep 0.1; done; busybox ip -4 -o addr show eth0; cat /etc/hostname; grep -c "$(busybox hostname)" /etc/hosts`])
    expect(client.code).toBe(0)
    const [body, addr, hostname, hostsLines] = client.stdout.trim().split('\n')
    expect(body).toBe('hello-from-cni')
    const clientIp = /inet (\S+)\//.exec(addr!)![1]!
    expect(inSubnet(clientIp)).toBe(true)
    expect(clientIp).not.toBe(ip)
    expect(hostname).toMatch(/^[0-9a-f-]{36}$/) // the container id, as Mesos names CNI containers
    expect(hostsLines).toBe('1')
    expect((await meso(['task', 'kill', `--master=${master.url}`, webId])).code).toBe(0)
  })

  test('-p HOSTPORT:CONTAINERPORT: the server is reachable at 127.0.0.1:HOSTPORT; the mapping goes with the task', async () => {
    const hostPort = portBase + 1
    const web = await run(['--detach', `--network=${net!.name}`, '-p', `${hostPort}:8080`], webServer('mapped'))
    expect(web.code).toBe(0)
    const body = await waitFor('the mapped port', async () => {
      const r = await fetch(`http://127.0.0.1:${hostPort}/`).catch(() => undefined)
      return r?.ok ? (await r.text()).trim() : undefined
    })
    expect(body).toBe('mapped')
    const tasks = (await operator(master.url, 'GET_TASKS')).get_tasks.tasks as any[]
    const task = tasks.find(t => t.task_id.value === web.stdout.trim())
    expect(task.resources.find((r: any) => r.name === 'ports').ranges.range).toEqual([{ begin: hostPort, end: hostPort }])
    expect(task.statuses.at(-1).container_status.network_infos[0].port_mappings).toEqual([{ host_port: hostPort, container_port: 8080, protocol: 'tcp' }])
    expect((await meso(['task', 'kill', `--master=${master.url}`, web.stdout.trim()])).code).toBe(0)
    await waitFor('the DNAT rule to go', () => !Bun.spawnSync(['iptables', '-w', '-t', 'nat', '-S']).stdout.toString().includes(`--dport ${hostPort} `))
  })

  test('host ports the agent does not offer: the CLI waits for them and says so; mapping a port not held is TASK_ERROR', async () => {
    const r = await run(['--timeout=2', `--network=${net!.name}`, '-p', '40000:80'], ['true'])
    expect(r.code).toBe(125)
    expect(r.stderr).toContain('ports=[40000-40000]')
    const s = new RawScheduler(master.url)
    await s.subscribe(frameworkInfo('ports'))
    const o = (await s.next(e => e.type === 'OFFERS')).offers.offers[0]
    const t = { ...commandTask('unheld', o.agent_id.value, 'true'), container: { type: 'MESOS', network_infos: [{ name: net!.name, port_mappings: [{ host_port: portBase + 2, container_port: 80 }] }] } }
    await s.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [t] } }] } })
    const err = await s.next(e => e.type === 'UPDATE' && e.update.status.state === 'TASK_ERROR')
    expect(err.update.status.message).toContain(`uses host port ${portBase + 2}, which is not in the task's 'ports' resources`)
    await s.call('TEARDOWN')
    s.close()
  })

  test('an unknown network and a failing plugin are TASK_FAILED with the reason', async () => {
    const unknown = await run(['--network=nope'], ['true'])
    expect(unknown.code).toBe(125)
    expect(unknown.stderr).toContain('TASK_FAILED')
    expect(unknown.stderr).toContain(`unknown CNI network 'nope' (networks on this agent: ${net!.name})`)
    net!.addConfig('20-broken.conflist', { cniVersion: '1.0.0', name: 'broken', plugins: [{ type: 'bridge', bridge: net!.bridge, ipam: { type: 'host-local', ranges: [[{ subnet: 'not-a-cidr' }]], dataDir: net!.dataDir } }] })
    const broken = await run(['--network=broken'], ['true'])
    expect(broken.code).toBe(125)
    expect(broken.stderr).toContain("network 'broken': CNI plugin 'bridge' ADD for container")
    expect(broken.stderr).toContain('invalid CIDR address: not-a-cidr')
  })

  test('meso network list shows the agents\' networks', async () => {
    const r = await meso(['network', 'list', `--master=${master.url}`, '--json'])
    expect(r.code).toBe(0)
    const list = JSON.parse(r.stdout) as any[]
    expect(list.find(n => n.name === net!.name)).toMatchObject({ plugins: ['bridge', 'portmap'], subnets: [net!.subnet], bridge: net!.bridge, capabilities: ['portMappings'], agent: new URL(agent.url).host })
    const table = await meso(['network', 'list', `--master=${master.url}`])
    expect(table.stdout).toMatch(new RegExp(`${net!.name}\\s+127\\.0\\.0\\.1:\\d+\\s+bridge,portmap\\s+${net!.subnet.replaceAll('.', '\\.')}\\s+${net!.bridge}\\s+ok`))
  })

  test('a task group shares its executor\'s network namespace (localhost between tasks)', async () => {
    const s = new RawScheduler(master.url)
    await s.subscribe(frameworkInfo('group'))
    const o = (await s.next(e => e.type === 'OFFERS')).offers.offers[0]
    const res = commandTask('x', o.agent_id.value, '').resources
    const executor = { executor_id: { value: 'group-exec' }, type: 'DEFAULT', resources: res, container: { type: 'MESOS', network_infos: [{ name: net!.name }] } }
    const server = { ...commandTask('g-server', o.agent_id.value, 'echo grouped > index.html && exec busybox httpd -f -p 127.0.0.1:8080 -h .'), container: undefined }
    const client = commandTask('g-client', o.agent_id.value, 'for i in $(seq 100); do busybox wget -q -O - http://127.0.0.1:8080/ | grep -q grouped && exit 0; sleep 0.1; done; exit 1')
    await s.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH_GROUP', launch_group: { executor, task_group: { tasks: [server, client] } } }] } })
    const done = await s.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'g-client' && ['TASK_FINISHED', 'TASK_FAILED'].includes(e.update.status.state), 60_000)
    expect(done.update.status.state).toBe('TASK_FINISHED')
    const ids = containerIds(s)
    expect(s.updates('g-server').find(u => u.state === 'TASK_RUNNING')).toBeDefined()
    await s.call('TEARDOWN')
    s.close()
    await waitFor('the group\'s network to go', () => net!.leaks(ids, stateDir).length === 0, 30_000)
  })

  test('100 containers launched and finished leave no IPAM lease, veth, netns, mount or iptables rule', async () => {
    const s = new RawScheduler(master.url)
    await s.subscribe(frameworkInfo('churn'))
    let launched = 0
    const used = new Set<string>()
    // Every outstanding offer is accepted at once: freed resources come back as separate, partial offers.
    const cpus = (o: any) => o.resources.filter((r: any) => r.name === 'cpus').reduce((a: number, r: any) => a + r.scalar.value, 0)
    const outstanding = () => s.events.filter(e => e.type === 'OFFERS').flatMap(e => e.offers.offers).filter((o: any) => !used.has(o.id.value))
    for (let batch = 0; batch < 4; batch++) {
      const offers = await waitFor('offers for 25 tasks', () => { const os = outstanding(); return os.reduce((a, o) => a + cpus(o), 0) >= 1.3 ? os : undefined }, 30_000)
      for (const o of offers) used.add(o.id.value)
      const o = offers[0]
      const tasks = Array.from({ length: 25 }, () => ({
        ...commandTask(`churn-${launched++}`, o.agent_id.value, 'busybox ip -4 -o addr show eth0', { cpus: 0.05, mem: 8 }),
        container: { type: 'MESOS', network_infos: [{ name: net!.name }] },
      }) as any)
      await s.call('ACCEPT', { accept: { offer_ids: offers.map(x => x.id), operations: [{ type: 'LAUNCH', launch: { task_infos: tasks } }], filters: { refuse_seconds: 0 } } })
      const terminal = ['TASK_FINISHED', 'TASK_FAILED', 'TASK_ERROR', 'TASK_LOST', 'TASK_KILLED']
      const last = (t: any) => s.updates(t.task_id.value).at(-1)
      await waitFor(`batch ${batch} to end`, () => tasks.every(t => terminal.includes(last(t)?.state)), 120_000).catch(err => {
        throw new Error(`${err.message}: ${tasks.map(t => `${t.task_id.value} ${last(t)?.state}`).filter(x => !x.endsWith('TASK_FINISHED')).join(', ')}`)
      })
      expect(tasks.map(t => last(t)).filter(u => u.state !== 'TASK_FINISHED').map(u => `${u.task_id.value}: ${u.state} ${u.message}`)).toEqual([])
    }
    const ids = containerIds(s)
    expect(ids.length).toBe(100)
    const ips = s.events.filter(e => e.type === 'UPDATE' && e.update.status.state === 'TASK_RUNNING').map(e => e.update.status.container_status.network_infos[0].ip_addresses[0].ip_address)
    expect(ips.length).toBe(100)
    expect(ips.every(inSubnet)).toBe(true)
    await waitFor('every network to be released', () => net!.leaks(ids, stateDir).length === 0, 60_000)
    await s.call('TEARDOWN')
    s.close()
  }, 300_000)

  test('kill -9 of the agent with 10 running: after the restart their networks are reported and, once killed, released', async () => {
    const s = new RawScheduler(master.url)
    await s.subscribe(frameworkInfo('restart'))
    const o = (await s.next(e => e.type === 'OFFERS', 30_000)).offers.offers[0]
    const tasks = Array.from({ length: 10 }, (_, i) => {
      const mapped = i < 2
      const t = commandTask(`long-${i}`, o.agent_id.value, i === 9 ? 'sleep 3' : 'sleep 300', { cpus: 0.05, mem: 8 }) as any
      t.container = { type: 'MESOS', network_infos: [{ name: net!.name, ...(mapped ? { port_mappings: [{ host_port: portBase + 5 + i, container_port: 80 }] } : {}) }] }
      if (mapped) t.resources.push({ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: portBase + 5 + i, end: portBase + 5 + i }] }, allocation_info: { role: '*' } })
      return t
    })
    await s.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH', launch: { task_infos: tasks } }] } })
    await waitFor('all running', () => tasks.every(t => s.updates(t.task_id.value).some(u => u.state !== 'TASK_STARTING')), 60_000)
    expect(tasks.map(t => s.updates(t.task_id.value)[1] ?? s.updates(t.task_id.value)[0]).filter(u => u.state !== 'TASK_RUNNING').map(u => `${u.task_id.value}: ${u.state} ${u.message}`)).toEqual([])
    const ids = containerIds(s)
    expect(ids.length).toBe(10)
    await agent.kill('SIGKILL')
    expect(ids.every(id => existsSync(netnsPath(netnsName(id))))).toBe(true)
    await Bun.sleep(3500) // long-9 exits while the agent is down
    agent = await startAgent(master.url, agentDir, [...agentFlags, `--port=${new URL(agent.url).port}`])
    daemons.push(agent)
    await s.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'long-9' && e.update.status.state === 'TASK_FINISHED', 30_000)
    // The restarted agent still reports the re-adopted containers' networks.
    const containers = (await operator(agent.url, 'GET_CONTAINERS')).get_containers.containers as any[]
    for (let i = 0; i < 9; i++) {
      const c = containers.find(x => x.executor_id.value === `long-${i}`)
      expect(inSubnet(c?.container_status?.network_infos?.[0]?.ip_addresses?.[0]?.ip_address ?? '')).toBe(true)
    }
    for (let i = 0; i < 9; i++) await s.call('KILL', { kill: { task_id: { value: `long-${i}` } } })
    await waitFor('all killed', () => tasks.slice(0, 9).every(t => s.updates(t.task_id.value).some(u => u.state === 'TASK_KILLED')), 60_000)
    await waitFor('every network to be released', () => net!.leaks(ids, stateDir).length === 0, 60_000).catch(err => {
      throw new Error(`${err.message}: ${net!.leaks(ids, stateDir).join('; ')}`)
    })
    await s.call('TEARDOWN')
    s.close()
  }, 240_000)
})
