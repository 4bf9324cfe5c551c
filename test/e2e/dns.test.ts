// meso's DNS against a real master and agent: Mesos-DNS names answered to dig (A, SRV with additional records,
// leader/master/agent names), records that follow a task within 1 s of RUNNING and of its end, forwarding to an
// upstream resolver (a tiny one run here on loopback: no outside resolver is ever asked), a flood of malformed packets
// that leaves it answering, and `meso dns lookup`.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { cniUnavailable, releaseLeftNetns } from '../helpers/cni-network.ts'
import { dnsQuery } from '../../src/core/dns/client.ts'
import { RCODE, RR_TYPE, type Message } from '../../src/core/dns/message.ts'
import { decodeMessage, encodeMessage } from '../../src/core/dns/wire.ts'
import { MESO, meso, ROOT, startAgent, startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'
import { frameworkInfo, RawScheduler, type Event } from '../helpers/raw-scheduler.ts'

const HAVE_DIG = Bun.which('dig') !== null

let dir: string
let master: Daemon
let agent: Daemon
let sched: RawScheduler
let dnsPort: number
let upstream: { port: number; asked: string[]; stop(): void }

async function dig(...args: string[]): Promise<string> {
  const p = Bun.spawn(['dig', '@127.0.0.1', '-p', String(dnsPort), '+time=2', '+tries=1', ...args], { stdout: 'pipe', stderr: 'pipe' })
  const [out] = await Promise.all([new Response(p.stdout).text(), p.exited])
  return out.trim()
}

const ask = (name: string, type: number = RR_TYPE.A) => dnsQuery({ ip: '127.0.0.1', port: dnsPort }, name, type, 2000).then(r => r.message)
const addresses = (m: Message) => m.answers.map(a => (a.data.kind === 'A' ? a.data.address : '')).sort()

/** An upstream resolver on loopback (UDP and TCP) that knows one name: outside.example → 192.0.2.7. */
async function fakeUpstream(): Promise<typeof upstream> {
  const asked: string[] = []
  const answer = (packet: Uint8Array): Uint8Array | undefined => {
    const d = decodeMessage(packet)
    if (!d.ok) return undefined
    const q = d.message.questions[0]!
    asked.push(q.name)
    const known = q.name.toLowerCase() === 'outside.example' && q.type === RR_TYPE.A
    return encodeMessage({
      header: { ...d.message.header, qr: true, ra: true, rcode: known ? RCODE.NOERROR : RCODE.NXDOMAIN },
      questions: d.message.questions, authorities: [], additionals: [],
      answers: known ? [{ name: q.name, type: RR_TYPE.A, class: 1, ttl: 30, data: { kind: 'A', address: '192.0.2.7' } }] : [],
    })
  }
  const udp = await Bun.udpSocket({ hostname: '127.0.0.1', socket: { data(s, buf, port, addr) { const out = answer(new Uint8Array(buf)); if (out) s.send(out, port, addr) } } })
  const tcp = Bun.listen<{ buf: Buffer }>({
    hostname: '127.0.0.1', port: udp.port,
    socket: {
      open(s) { s.data = { buf: Buffer.alloc(0) } },
      data(s, chunk) {
        s.data.buf = Buffer.concat([s.data.buf, chunk])
        if (s.data.buf.length < 2 || s.data.buf.length < 2 + s.data.buf.readUInt16BE(0)) return
        const out = answer(new Uint8Array(s.data.buf.subarray(2, 2 + s.data.buf.readUInt16BE(0))))
        if (!out) { s.end(); return }
        const framed = Buffer.alloc(2 + out.length)
        framed.writeUInt16BE(out.length)
        framed.set(out, 2)
        s.write(framed)
      },
    },
  })
  return { port: udp.port, asked, stop() { udp.close(); tcp.stop(true) } }
}

beforeAll(async () => {
  dir = tempDir('meso-dns-')
  upstream = await fakeUpstream()
  master = await startMaster(join(dir, 'master'), ['--allocation_interval=100ms', '--dns', '--dns_port=0', `--dns_resolvers=127.0.0.1:${upstream.port}`, '--dns_ttl=30'])
  agent = await startAgent(master.url, join(dir, 'agent'), ['--resources=cpus:2;mem:1024;disk:1000;ports:[31000-31100]', '--hostname=Node-A.example'])
  await waitFor('the agent to register', async () => ((await (await fetch(`${master.url}/master/slaves`)).json()) as { slaves: unknown[] }).slaves.length === 1)
  const info = await (await fetch(`${master.url}/api/meso/v1/dns`)).json() as { enabled: boolean; port: number }
  expect(info.enabled).toBe(true)
  dnsPort = info.port
  sched = new RawScheduler(master.url)
  await sched.subscribe(frameworkInfo('marathon'))
}, 60_000)

afterAll(async () => {
  await sched?.call('TEARDOWN').catch(() => {})
  sched?.close()
  await agent?.kill()
  await master?.kill()
  upstream?.stop()
  releaseLeftNetns(dir)
  rmSync(dir, { recursive: true, force: true })
})

const ports = (begin: number, end = begin) => ({ name: 'ports', type: 'RANGES', ranges: { range: [{ begin, end }] }, allocation_info: { role: '*' } })
const scalar = (name: string, value: number) => ({ name, type: 'SCALAR', scalar: { value }, allocation_info: { role: '*' } })

let offersUsed = 0
async function launch(task: (agentId: string) => Record<string, unknown>): Promise<void> {
  const offer = await sched.next(e => e.type === 'OFFERS', 30_000, offersUsed)
  offersUsed = sched.events.indexOf(offer) + 1
  const o = offer.offers.offers[0]
  const r = await sched.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [task(o.agent_id.value)] } }], filters: { refuse_seconds: 0 } } })
  expect(r.status).toBe(202)
}

const update = (taskId: string, state: string, since: number) => sched.next((e: Event) => e.type === 'UPDATE' && e.update.status.task_id.value === taskId && e.update.status.state === state, 60_000, since)

describe.skipIf(!HAVE_DIG)('DNS (dig against a real master)', () => {
  test('leader, master, agent names and the SOA', async () => {
    expect(await dig('+short', 'leader.mesos')).toBe('127.0.0.1')
    expect(await dig('+short', 'master.mesos')).toBe('127.0.0.1')
    expect(await dig('+short', 'node-a.example.agent.mesos')).toBe('127.0.0.1')
    expect(await dig('+short', 'slave.mesos')).toBe('127.0.0.1')
    const port = new URL(master.url).port
    expect(await dig('+short', '_leader._tcp.mesos', 'SRV')).toBe(`0 0 ${port} leader.mesos.`)
    const soa = await dig('mesos', 'SOA')
    expect(soa).toContain('status: NOERROR')
    expect(soa).toMatch(/flags: qr aa rd ra;/)
    expect(soa).toMatch(/mesos\.\s+30\s+IN\s+SOA\s+ns1\.mesos\. root\.ns1\.mesos\./)
    const nx = await dig('nothing.marathon.mesos')
    expect(nx).toContain('status: NXDOMAIN')
  })

  test('a task: A and SRV within 1 s of RUNNING, gone within 1 s of its end; meso dns lookup shows it', async () => {
    const since = sched.events.length
    await launch(agentId => ({
      name: 'Web Server', task_id: { value: 'web-1' }, agent_id: { value: agentId },
      resources: [scalar('cpus', 0.1), scalar('mem', 16), ports(31005)],
      discovery: { visibility: 'FRAMEWORK', name: 'web', ports: { ports: [{ number: 31005, name: 'http', protocol: 'tcp' }] } },
      command: { value: 'sleep 600' },
    }))
    await update('web-1', 'TASK_RUNNING', since)
    const running = Date.now()
    await waitFor('web.marathon.mesos', async () => (await ask('web.marathon.mesos')).answers.length > 0, 1000, 20)
    expect(Date.now() - running).toBeLessThan(1000)

    expect(await dig('+short', 'web.marathon.mesos')).toBe('127.0.0.1')
    const srv = await dig('_web._tcp.marathon.mesos', 'SRV', '+noall', '+answer', '+additional')
    expect(srv).toMatch(/_web\._tcp\.marathon\.mesos\.\s+30\s+IN\s+SRV\s+0 0 31005 web-[a-z0-9]{5}-s\d+\.marathon\.mesos\./)
    expect(srv).toMatch(/web-[a-z0-9]{5}-s\d+\.marathon\.mesos\.\s+30\s+IN\s+A\s+127\.0\.0\.1/)
    expect(await dig('+short', '_http._web._tcp.marathon.mesos', 'SRV')).toMatch(/^0 0 31005 web-/)
    expect(await dig('+short', '_web._tcp.marathon.slave.mesos', 'SRV')).toMatch(/^0 0 31005 web-[a-z0-9]{5}-s\d+\.marathon\.slave\.mesos\.$/)
    expect(await dig('+short', '+tcp', 'web.marathon.slave.mesos')).toBe('127.0.0.1')

    const cli = await meso(['dns', 'lookup', 'web.marathon.mesos', `--master=${master.url}`])
    expect(cli.code).toBe(0)
    expect(cli.stdout).toMatch(/^web\.marathon\.mesos\.\t30\tIN\tA\t127\.0\.0\.1$/m)
    const json = await meso(['dns', 'lookup', '_web._tcp.marathon.mesos', '--type=SRV', '--json', `--master=${master.url}`])
    expect(json.code).toBe(0)
    const parsed = JSON.parse(json.stdout)
    expect(parsed).toMatchObject({ status: 'NOERROR', authoritative: true, transport: 'udp' })
    expect(parsed.answers[0].data).toMatchObject({ kind: 'SRV', port: 31005 })
    const missing = await meso(['dns', 'lookup', 'nope', `--master=${master.url}`])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('no A records for nope.mesos (NXDOMAIN')

    const killedAt = sched.events.length
    expect((await sched.call('KILL', { kill: { task_id: { value: 'web-1' } } })).status).toBe(202)
    await update('web-1', 'TASK_KILLED', killedAt)
    const ended = Date.now()
    await waitFor('web.marathon.mesos to go', async () => (await ask('web.marathon.mesos')).header.rcode === RCODE.NXDOMAIN, 1000, 20)
    expect(Date.now() - ended).toBeLessThan(1000)
    expect(await dig('+short', '_web._tcp.marathon.mesos', 'SRV')).toBe('')
  }, 90_000)

  test('other names go to the upstream resolver, over UDP and TCP', async () => {
    expect(await dig('+short', 'outside.example')).toBe('192.0.2.7')
    expect(await dig('+short', '+tcp', 'OUTSIDE.example')).toBe('192.0.2.7')
    expect(await dig('missing.example')).toContain('status: NXDOMAIN')
    expect(upstream.asked).toEqual(expect.arrayContaining(['outside.example', 'OUTSIDE.example', 'missing.example']))
    // Names of the domain never leave.
    expect(upstream.asked.some(n => n.toLowerCase().endsWith('mesos'))).toBe(false)
  })

  test('a flood of malformed packets over UDP and TCP leaves it answering', async () => {
    const flood = await Bun.udpSocket({})
    let seed = 7
    const rand = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff }
    const valid = encodeMessage({ header: { id: 1, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, rcode: 0 }, questions: [{ name: 'leader.mesos', type: 1, class: 1 }], answers: [], authorities: [], additionals: [] })
    const shapes: Uint8Array[] = [
      Uint8Array.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]), // pointer to itself
      Uint8Array.from([0, 2, 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), // counts with no records
      Uint8Array.from([0, 3, 1]), // shorter than a header
      Uint8Array.from([0, 4, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 63, 1, 2]), // truncated label
    ]
    for (let i = 0; i < 20_000; i++) {
      let p: Uint8Array
      if (i % 3 === 0) p = shapes[i % shapes.length]!
      else if (i % 3 === 1) { p = valid.slice(0, 1 + Math.floor(rand() * valid.length)); p[Math.floor(rand() * p.length)] = Math.floor(rand() * 256) }
      else p = Uint8Array.from({ length: Math.floor(rand() * 600) }, () => Math.floor(rand() * 256))
      flood.send(p, dnsPort, '127.0.0.1')
      if (i % 500 === 0) await Bun.sleep(1)
    }
    flood.close()
    // TCP: a length prefix promising more than is sent, garbage, and a connection closed halfway.
    for (const bytes of [Buffer.from([0xff, 0xff, 1, 2, 3]), Buffer.from([0, 4, 9, 9, 9, 9]), Buffer.from([0, 12, ...shapes[0]!.slice(0, 12)])]) {
      const s = await Bun.connect({ hostname: '127.0.0.1', port: dnsPort, socket: { data() {} } })
      s.write(bytes)
      s.end()
    }
    await Bun.sleep(200)
    expect(master.proc.exitCode).toBeNull()
    expect(addresses(await ask('leader.mesos'))).toEqual(['127.0.0.1'])
    expect(await dig('+short', '+tcp', 'leader.mesos')).toBe('127.0.0.1')
    const info = await (await fetch(`${master.url}/api/meso/v1/dns`)).json() as { counters: { malformed: number } }
    expect(info.counters.malformed).toBeGreaterThan(5000)
  }, 60_000)
})

// A task on the `meso` CNI network finds another by name: `meso up` in a network namespace of the test's own (its DNS
// on port 53 there, on every address, so containers reach it at their bridge's gateway), a `marathon` framework's
// task on the network, and a second task that resolves it with getent through its container's resolv.conf. No
// upstream resolver (--dns_resolvers=none): `web.marathon` asked as it is gets REFUSED, then the search path finds it.
const cniProblem = !HAVE_DIG ? 'dig is not installed' : linuxLauncherUnavailable({}) ?? cniUnavailable() ?? (Bun.which('nsenter') ? undefined : 'nsenter is not installed')
if (cniProblem) console.warn(`\n*** SKIPPING the DNS-from-a-container test: ${cniProblem} ***\n`)

describe.skipIf(!!cniProblem)('DNS from inside a container on the meso network', () => {
  const ns = `mesodns-${Math.random().toString(16).slice(2, 7)}`
  const inNs = (argv: string[]) => ['nsenter', `--net=/run/netns/${ns}`, '--', ...argv]
  let up: ReturnType<typeof Bun.spawn> | undefined
  let url = ''
  const cli = (args: string[]) => {
    const p = Bun.spawn(inNs([...MESO, ...args.slice(0, 2), `--master=${url}`, ...args.slice(2)]), { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } })
    return Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]).then(([stdout, stderr, code]) => ({ stdout, stderr, code }))
  }
  afterAll(async () => {
    // `meso up` leaves tasks running when it stops: the web task goes first.
    if (url) await cli(['task', 'kill', 'web-1']).catch(() => {})
    if (up) { up.kill('SIGINT'); await up.exited }
    Bun.spawnSync(['ip', 'netns', 'del', ns])
  })

  test('getent hosts web.marathon.mesos (and web.marathon through the search path) from a task', async () => {
    const sh = (argv: string[]) => { const r = Bun.spawnSync(argv, { stdout: 'pipe', stderr: 'pipe' }); if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`); return r.stdout.toString() }
    sh(['ip', 'netns', 'add', ns])
    sh(inNs(['ip', 'link', 'set', 'lo', 'up']))
    const work = join(dir, 'up')
    up = Bun.spawn(inNs([...MESO, 'up', `--work_dir=${work}`, '--port=0', '--master-flag=dns_port=53', '--master-flag=dns_resolvers=none', '--resources=cpus:2;mem:2048;disk:1000;ports:[31000-31100]']), { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } })
    let output = ''
    const pump = async (st: ReadableStream<Uint8Array>) => { for await (const c of st) output += new TextDecoder().decode(c) }
    void pump(up.stdout as ReadableStream<Uint8Array>)
    void pump(up.stderr as ReadableStream<Uint8Array>)
    url = await waitFor('meso up', () => /master (http:\/\/\S+) \(scheduler API/.exec(output)?.[1], 30_000)
    await waitFor('the DNS note', () => output.includes("containers on the 'meso' network resolve through"), 10_000)
    expect(output).toMatch(/DNS for 'mesos' on 0\.0\.0\.0:53 \(UDP and TCP\)/)

    // The `marathon` framework's task on the network, launched from inside the namespace (where the master is).
    const script = join(dir, 'launch-web.ts')
    writeFileSync(script, `
import { frameworkInfo, RawScheduler } from '${join(ROOT, 'test/helpers/raw-scheduler.ts')}'
const sched = new RawScheduler(process.argv[2]!)
await sched.subscribe(frameworkInfo('marathon'))
const offer = (await sched.next(e => e.type === 'OFFERS', 30_000)).offers.offers[0]
const r = (name: string, value: number) => ({ name, type: 'SCALAR', scalar: { value }, allocation_info: { role: '*' } })
await sched.call('ACCEPT', { accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [{
  name: 'web', task_id: { value: 'web-1' }, agent_id: offer.agent_id, resources: [r('cpus', 0.1), r('mem', 32)],
  container: { type: 'MESOS', network_infos: [{ name: 'meso' }] }, command: { value: 'sleep 600' },
}] } }] } })
const running = await sched.next(e => e.type === 'UPDATE' && e.update.status.state === 'TASK_RUNNING', 60_000)
console.log(JSON.stringify(running.update.status.container_status.network_infos[0].ip_addresses[0].ip_address))
process.exit(0)
`)
    const launched = Bun.spawn(inNs([process.execPath, script, url]), { stdout: 'pipe', stderr: 'pipe' })
    const [launchOut, launchErr, launchCode] = await Promise.all([new Response(launched.stdout).text(), new Response(launched.stderr).text(), launched.exited])
    expect(launchErr.split('\n').filter(l => /error/i.test(l))).toEqual([])
    expect(launchCode).toBe(0)
    const webIp = JSON.parse(launchOut.trim()) as string
    expect(webIp).toMatch(/^10\./)

    // The container IP (IP source netinfo), asked from the host side of the namespace first.
    const lookup = await cli(['dns', 'lookup', 'web.marathon.mesos'])
    expect(lookup.stdout).toContain(`\tA\t${webIp}`)
    const ran = await cli(['task', 'run', '--network', 'meso', '--', 'sh', '-c', 'cat /etc/resolv.conf; getent hosts web.marathon.mesos; getent hosts web.marathon'])
    expect(ran.code).toBe(0)
    expect(ran.stdout).toMatch(/^search mesos$/m)
    expect(ran.stdout).toMatch(/^nameserver 10\.\d+\.\d+\.1$/m)
    expect(ran.stdout).toMatch(new RegExp(`^${webIp.replaceAll('.', '\\.')}\\s+web\\.marathon\\.mesos$`, 'm'))
    expect(ran.stdout.match(new RegExp(`^${webIp.replaceAll('.', '\\.')}\\s`, 'gm'))).toHaveLength(2)
  }, 180_000)
})
