// VIPs on a real cluster: one master (with --dns) and two agents, each in a network namespace of its own
// (test/helpers/netns-cluster.ts), so each agent programs its own kernel load balancer as separate hosts would. Two
// backend tasks (`python3 -m http.server`, answering which one they are) declare the named VIP `web` with
// `meso task run --vip`; the name resolves through the master's DNS (the DC/OS name and meso's short one); connections
// to the VIP from each agent's host and from a client task spread over both backends; a backend killed gets no new
// connection within 1 s; a backend whose health check fails is taken out and put back when it passes; the VIP keeps
// its address across a master restart; `meso vip list/show` show it all.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { defaultNetworkConfig, findPluginsDir } from '../../src/agent/isolators/network/cni/default-network.ts'
import { DEFAULT_LINUX_ISOLATION } from '../../src/agent/isolators/index.ts'
import { l4lbUnavailable } from '../../src/agent/l4lb/l4lb.ts'
import { dnsQuery } from '../../src/core/dns/client.ts'
import { RR_TYPE } from '../../src/core/dns/message.ts'
import { NetnsCluster, netnsClusterUnavailable, type NetnsNode } from '../helpers/netns-cluster.ts'
import { MESO, meso, tempDir, waitFor } from '../helpers/processes.ts'

const unavailable = netnsClusterUnavailable() ?? l4lbUnavailable() ?? (Bun.which('curl') ? undefined : 'curl is needed')
const DNS_PORT = 8053

describe.skipIf(!!unavailable)(`VIPs on a cluster${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let cluster: NetnsCluster
  let agents: NetnsNode[]
  let vip = ''
  const cli = (args: string[], timeoutMs?: number) => meso(args, { timeoutMs, env: { MESO_MASTER: cluster.master.url } })
  /** A backend answering `backend-<port>` on `port` (on the agent's network: the VIP's backend is agent IP:port). */
  const backend = (name: string, port: number, extra: string[] = []) => cli(['task', 'run', '--detach', '--name', name, '--vip', `web:80:${port}`, ...extra, '--',
    'sh', '-c', `echo backend-${port} > index.html && touch healthy && exec /usr/bin/python3 -m http.server ${port}`])
  /** One new connection to the VIP from an agent's host; the answer names the backend (or why there was none). */
  const get = (node: NetnsNode, url = `http://${vip}/`) => {
    const r = Bun.spawnSync(['ip', 'netns', 'exec', node.netns, 'curl', '-s', '-m', '2', url], { stdout: 'pipe' })
    return r.stdout.toString().trim() || `failed (curl ${r.exitCode})`
  }
  const vipsJson = async () => JSON.parse((await cli(['vip', 'list', '--json'])).stdout) as { range: string; vips: any[]; errors: any[] }
  /** Task ids of the two first backends, and what each answers. */
  const ids: string[] = []
  const cniDir = tempDir('meso-vip-e2e-')
  const cniConfigDir = join(cniDir, 'net.d')
  const cniPlugins = findPluginsDir()
  let withCni = false
  const whos = ['backend-31081', 'backend-31082']

  beforeAll(async () => {
    // A CNI network `meso` inside each agent's namespace (its own bridge there), for the client in a container.
    mkdirSync(cniConfigDir, { recursive: true })
    writeFileSync(join(cniConfigDir, 'meso.conflist'), JSON.stringify(defaultNetworkConfig({ name: 'meso', bridge: 'mvip0', subnet: '10.213.0.0/24', dataDir: join(cniDir, 'ipam') })))
    const cniFlags = cniPlugins && !linuxLauncherUnavailable({})
      ? [`--isolation=${DEFAULT_LINUX_ISOLATION},network/cni`, `--network_cni_plugins_dir=${cniPlugins}`, `--network_cni_config_dir=${cniConfigDir}`] : []
    withCni = cniFlags.length > 0
    cluster = await NetnsCluster.start({
      masters: 1, agents: 2, workDir: join(cniDir, 'cluster'),
      masterFlags: ['--allocation_interval=100ms', '--dns', `--dns_port=${DNS_PORT}`, '--dns_resolvers=none', '--vip_range=11.0.0.0/16'],
      agentFlags: ['--registration_backoff_factor=100ms', ...cniFlags],
      agentResources: () => 'cpus:4;mem:2048;ports:[31000-31100]',
    })
    agents = cluster.agents
    for (const [name, port] of [['web', 31081], ['web', 31082]] as const) {
      const r = await backend(name, port)
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      ids.push(r.stdout.trim())
    }
    // Both RUNNING and serving behind one named VIP.
    await waitFor('both backends serving', async () => (await vipsJson()).vips[0]?.backends.filter((b: any) => b.serving).length === 2, 30_000)
    vip = (await vipsJson()).vips[0].vip
  }, 120_000)
  let stopAttached: (() => void) | undefined
  afterAll(async () => { stopAttached?.(); await cluster?.stop(); rmSync(cniDir, { recursive: true, force: true }) })

  test('the named VIP gets an address in --vip_range and resolves through the DNS', async () => {
    const { vips, range } = await vipsJson()
    expect(range).toBe('11.0.0.0/16')
    expect(vips).toHaveLength(1)
    expect(vips[0]).toMatchObject({ name: 'web', protocol: 'tcp', port: 80 })
    expect(vips[0].ip).toStartWith('11.0.')
    expect(vips[0].backends.map((b: any) => b.task_id).sort()).toEqual([...ids].sort())
    const server = { ip: cluster.master.ip, port: DNS_PORT }
    for (const name of ['web.vip.mesos', 'web.mesotaskrunweb.l4lb.thisdcos.directory']) {
      const answers = (await dnsQuery(server, name, RR_TYPE.A)).message.answers
      expect(answers.map(a => (a.data as { address: string }).address)).toEqual([vips[0].ip])
    }
    const show = await cli(['vip', 'show', 'web'])
    expect(show.code).toBe(0)
    expect(show.stdout).toContain(`VIP        ${vip} (tcp)`)
    expect(show.stdout).toContain('web.vip.mesos')
    expect(show.stdout).toContain('2 serving of 2')
  })

  test('from every agent host and from a client task, connections spread over both backends', async () => {
    for (const node of agents) {
      const seen = Array.from({ length: 8 }, () => get(node))
      expect(new Set(seen)).toEqual(new Set(whos))
    }
    // A client task on an agent: 8 new connections to the VIP, each printing the backend that answered.
    const r = await cli(['task', 'run', '--name', 'client', '--', 'sh', '-c', `for i in 1 2 3 4 5 6 7 8; do curl -s -m 2 http://${vip}/; done`], 60_000)
    expect(r.code).toBe(0)
    expect(new Set(r.stdout.trim().split('\n').map(l => l.trim()).filter(l => whos.includes(l)))).toEqual(new Set(whos))
  })

  test('a client task on a CNI network (its own address, behind the bridge) reaches both backends', async () => {
    if (!withCni) { console.warn('skipped: the CNI plugins or the linux launcher are missing'); return }
    const r = await cli(['task', 'run', '--name', 'cni-client', '--network', 'meso', '--', 'sh', '-c',
      `ip -4 -o addr show | grep -c 10.213.0. ; for i in 1 2 3 4 5 6 7 8; do curl -s -m 2 http://${vip}/; done`], 60_000)
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split('\n').map(l => l.trim())
    expect(lines[0]).toBe('1') // the task had a container address of the CNI network
    expect(new Set(lines.filter(l => whos.includes(l)))).toEqual(new Set(whos))
  })

  test('a killed backend gets no new connection within 1 s', async () => {
    const survivor = whos[1]!
    // The victim's python, on whichever agent runs it.
    const pid = agents.flatMap(a => a.pids()).find(p => cmdline(p).includes('http.server\u000031081'))
    expect(pid).toBeDefined()
    const killedAt = performance.now()
    process.kill(pid!, 'SIGKILL')
    const samples: { t: number; who: string }[] = []
    while (performance.now() - killedAt < 2500) {
      samples.push({ t: performance.now() - killedAt, who: get(agents[samples.length % 2]!) })
      await Bun.sleep(20)
    }
    const late = samples.filter(s => s.t > 1000)
    expect(late.length).toBeGreaterThan(10)
    expect(late.filter(s => s.who !== survivor)).toEqual([])
    const lastBad = samples.filter(s => s.who !== survivor).at(-1)
    console.log(`backend killed: last connection not to the survivor after ${lastBad ? Math.round(lastBad.t) : 0} ms (${samples.length} samples)`)
    await waitFor('the killed backend out of the table', async () => (await vipsJson()).vips[0]?.backends.length === 1, 10_000)
  })

  test('an unhealthy backend is taken out and comes back once healthy', async () => {
    // Attached, not --detach: every health update must be acknowledged for the next one to reach the master (the
    // agent's status update manager sends one unacknowledged update at a time, as Mesos' does).
    const attached = Bun.spawn([...MESO, 'task', 'run', '--name', 'web', '--vip', 'web:80:31083', '--health-cmd', 'test -f healthy',
      '--health-interval', '1s', '--health-retries', '1000', '--', 'sh', '-c', 'echo backend-31083 > index.html && touch healthy && exec /usr/bin/python3 -m http.server 31083'],
    { env: { ...process.env, NO_COLOR: '1', MESO_MASTER: cluster.master.url }, stdout: 'ignore', stderr: 'ignore' })
    stopAttached = () => attached.kill('SIGINT')
    const answer = 'backend-31083'
    const backendOf = async () => (await vipsJson()).vips[0]?.backends.find((b: any) => b.port === 31083)
    await waitFor('the checked backend healthy', async () => (await backendOf())?.healthy === true, 30_000)
    await waitFor('the checked backend answering', () => Array.from({ length: 6 }, () => get(agents[0]!)).includes(answer), 10_000)
    // The health check fails once its file is gone: out of the table, no new connections.
    // The task's sandbox through its python's cwd (readable from here whatever mount namespace the task has).
    const pid = agents.flatMap(a => a.pids()).find(p => cmdline(p).includes('http.server\u000031083'))
    expect(pid).toBeDefined()
    const sandboxFile = `/proc/${pid}/cwd`
    expect(readFileSync(`${sandboxFile}/index.html`, 'utf8').trim()).toBe(answer)
    Bun.spawnSync(['rm', '-f', `${sandboxFile}/healthy`])
    await waitFor('the unhealthy backend not serving', async () => (await backendOf())?.serving === false, 15_000)
    await Bun.sleep(300)
    expect(Array.from({ length: 8 }, () => get(agents[1]!)).filter(w => w === answer)).toEqual([])
    Bun.spawnSync(['touch', `${sandboxFile}/healthy`])
    await waitFor('the healthy backend serving again', async () => (await backendOf())?.serving === true, 15_000)
    await waitFor('the healthy backend answering again', () => Array.from({ length: 6 }, () => get(agents[1]!)).includes(answer), 10_000)
  })

  test('the VIP keeps its address across a master restart', async () => {
    const before = vip
    await cluster.master.stop()
    await cluster.master.start()
    await waitFor('the VIP back after the restart', async () => { try { return (await vipsJson()).vips[0]?.backends.some((b: any) => b.serving) === true } catch { return false } }, 60_000)
    expect((await vipsJson()).vips[0].vip).toBe(before)
    expect(['backend-31082', 'backend-31083']).toContain(get(agents[0]!))
  }, 90_000)
})

function cmdline(pid: number): string { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8') } catch { return '' } }
