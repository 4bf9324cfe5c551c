// DNS queries per second with the records of 10k running tasks (100 agents, 10 frameworks, a port each): meso's DNS
// server (src/master/dns/) in a process of its own, against dnsmasq answering the same A names from a hosts file
// (no upstream: the domain is local), in the same run with the same load generator: UDP A queries for random task
// names, a fixed number in flight. dnsmasq is skipped, with a note, when it is not installed (apt-get install
// dnsmasq-base).
//
//   bun bench/dns.ts [--quick]

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { queryMessage, RR_TYPE } from '../src/core/dns/message.ts'
import { encodeMessage } from '../src/core/dns/wire.ts'
import { Forwarder } from '../src/master/dns/forwarder.ts'
import { rfc1123 } from '../src/master/dns/labels.ts'
import { RecordSet } from '../src/master/dns/record-set.ts'
import { taskRecords, type DnsNaming } from '../src/master/dns/records.ts'
import { startDnsServer } from '../src/master/dns/server.ts'
import { machine, type BenchResult } from './lib/measure.ts'
import { benchArgs, printResult } from './lib/print-result.ts'

const TASKS = 10_000
const AGENTS = 100
const FRAMEWORKS = 10
const IN_FLIGHT = 128

const naming: DnsNaming = { domain: 'mesos', spec: rfc1123, ipSources: ['netinfo', 'mesos', 'host'] }
const agentIp = (a: number) => `10.1.${a >> 8}.${a & 255}`
const taskName = (t: number) => `task-${t}`
const frameworkName = (t: number) => `fw-${t % FRAMEWORKS}`

/** The records of the 10k tasks, built as the master builds them (records.ts), and how long that took. */
function buildRecords(): { records: RecordSet; ms: number } {
  const records = new RecordSet()
  const t0 = performance.now()
  for (let t = 0; t < TASKS; t++) {
    const agent = t % AGENTS
    records.replace(`task:${t}`, taskRecords({
      id: `${taskName(t)}.${t}`, name: taskName(t), agentId: `bench-S${agent}`, frameworkName: frameworkName(t), statuses: [],
      resources: [{ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000 + (t % 1000), end: 31000 + (t % 1000) }] } }],
    }, [agentIp(agent)], naming))
  }
  return { records, ms: performance.now() - t0 }
}

/** Child mode: meso's DNS server with the 10k-task records, alone in its process. */
async function serve() {
  const { records } = buildRecords()
  const server = await startDnsServer({
    ip: '127.0.0.1', port: 0, view: { records }, forwarder: new Forwarder([], 1000),
    cfg: { domain: 'mesos', ttl: 60, recursion: false, serialBase: 0 },
  })
  console.log(`port ${server.port}`)
  await new Promise(() => {})
}

/** UDP A queries for random task names, IN_FLIGHT at a time, for `ms`; answers per second. */
async function load(port: number, ms: number): Promise<{ qps: number; answered: number; lost: number }> {
  const packets = Array.from({ length: 4096 }, (_, i) => {
    const t = (i * 7919) % TASKS
    return encodeMessage(queryMessage(0, `${taskName(t)}.${frameworkName(t)}.mesos`, RR_TYPE.A))
  })
  let answered = 0, sent = 0, next = 0, lastProgress = performance.now(), inFlight = 0
  let stopAt = 0
  const send = (s: import('bun').udp.Socket<'buffer'>) => {
    const p = packets[next++ % packets.length]!
    const id = sent++ & 0xffff
    p[0] = id >> 8; p[1] = id & 0xff
    inFlight++
    s.send(p, port, '127.0.0.1')
  }
  let done!: () => void
  const finished = new Promise<void>(r => { done = r })
  const socket = await Bun.udpSocket({
    socket: {
      data(s, buf) {
        inFlight--
        // A NOERROR answer with at least one record counts; anything else is a failure of the server under test.
        if (buf.length > 12 && (buf[3]! & 0xf) === 0 && ((buf[6]! << 8) | buf[7]!) > 0) answered++
        lastProgress = performance.now()
        if (performance.now() < stopAt) send(s)
        else if (inFlight <= 0) done()
      },
      error() { /* an ICMP error for a query sent as the server stopped */ },
    },
  })
  const started = performance.now()
  stopAt = started + ms
  for (let i = 0; i < IN_FLIGHT; i++) send(socket)
  // Lost packets (a full socket buffer) would shrink the window: refill when nothing came back for 50 ms.
  const refill = setInterval(() => {
    const now = performance.now()
    if (now >= stopAt + 200) { done(); return }
    if (now < stopAt && now - lastProgress > 50) { inFlight = 0; for (let i = 0; i < IN_FLIGHT; i++) send(socket) }
  }, 25)
  await finished
  clearInterval(refill)
  const elapsed = Math.min(performance.now(), stopAt + 200) - started
  socket.close()
  return { qps: Math.round(answered / (elapsed / 1000)), answered, lost: Math.max(0, sent - answered - Math.max(inFlight, 0)) }
}

async function waitForLine(proc: ReturnType<typeof Bun.spawn>, pattern: RegExp): Promise<RegExpExecArray> {
  let out = ''
  const dec = new TextDecoder()
  for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
    out += dec.decode(chunk)
    const m = pattern.exec(out)
    if (m) return m
  }
  throw new Error(`no '${pattern}' in: ${out}`)
}

export async function runDnsBench(opts: { quick: boolean }): Promise<BenchResult> {
  const ms = opts.quick ? 500 : 5000
  const built = buildRecords()
  const notes = [
    `${TASKS} running tasks on ${AGENTS} agents in ${FRAMEWORKS} frameworks: ${built.records.names} names, built in ${built.ms.toFixed(0)} ms. ` +
    `UDP A queries for random task names over loopback, ${IN_FLIGHT} in flight, ${ms / 1000} s per server; each server in its own process.`,
  ]
  const rows: BenchResult['rows'] = []
  const meso = Bun.spawn([process.execPath, import.meta.path, '--serve'], { stdout: 'pipe', stderr: 'inherit' })
  try {
    const port = Number((await waitForLine(meso, /port (\d+)/))[1])
    await load(port, Math.min(ms, 300)) // warm-up
    const r = await load(port, ms)
    rows.push({ server: 'meso (src/master/dns)', names: built.records.names, 'queries/s': r.qps, answered: r.answered, lost: r.lost })
  } finally { meso.kill() }

  const dnsmasq = Bun.which('dnsmasq') ?? (Bun.which('dnsmasq', { PATH: '/usr/sbin:/sbin' }) || null)
  if (!dnsmasq) {
    notes.push('dnsmasq not installed (apt-get install dnsmasq-base): no comparison in this run.')
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'meso-bench-dns-'))
    const hosts = join(dir, 'hosts')
    const lines: string[] = []
    for (const [name, recs] of built.records.entries()) for (const r of recs) if (r.type === 'A') lines.push(`${r.value} ${name}`)
    writeFileSync(hosts, lines.join('\n') + '\n')
    const port = 20000 + Math.floor(Math.random() * 20000)
    const proc = Bun.spawn([dnsmasq, '--keep-in-foreground', '--log-facility=-', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces',
      '--no-resolv', '--no-hosts', `--addn-hosts=${hosts}`, '--local=/mesos/', '--cache-size=0', '--conf-file=/dev/null', '--user=root', '--pid-file='], { stdout: 'pipe', stderr: 'pipe' })
    try {
      await Bun.sleep(300)
      if (proc.exitCode !== null) throw new Error(`dnsmasq exited: ${await new Response(proc.stderr as ReadableStream).text()}`)
      await load(port, Math.min(ms, 300))
      const r = await load(port, ms)
      rows.push({ server: 'dnsmasq (hosts file)', names: lines.length, 'queries/s': r.qps, answered: r.answered, lost: r.lost })
      notes.push('dnsmasq answers A records only from the hosts file (no SRV), one line per task address; single-threaded like meso.')
    } finally { proc.kill(); rmSync(dir, { recursive: true, force: true }) }
  }
  return { name: 'dns', machine: machine(), rows, notes }
}

export function printDns(r: BenchResult) {
  printResult('DNS queries per second', r)
}

if (import.meta.main) {
  if (process.argv.includes('--serve')) await serve()
  else printDns(await runDnsBench(benchArgs()))
}
