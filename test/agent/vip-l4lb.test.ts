// The agent's L4 load balancer: the nft script for a VIP table (pure), and the real thing in network namespaces of
// the test's own: an "agent" namespace that programs the VIPs and a "container" namespace routed through it (as a
// CNI container is through its bridge gateway), a backend in each. Connections from the agent's host and from the
// container reach both backends through the VIP, a removed backend gets no new connection, and an empty table
// leaves nothing behind.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { AgentL4lb, l4lbUnavailable } from '../../src/agent/l4lb/l4lb.ts'
import { addressChanges, nftScript, parseLabelledAddresses, validateVips, vipAddresses } from '../../src/agent/l4lb/nft-ruleset.ts'
import { tempDir } from '../helpers/processes.ts'

describe('nft ruleset', () => {
  test('one DNAT rule per VIP with backends, round-robin; masquerade of VIP connections; one transaction', () => {
    const s = nftScript([
      { vip: '11.0.0.7:80', protocol: 'tcp', backends: ['10.1.0.2:8000', '10.1.0.3:8000'] },
      { vip: '11.0.0.7:53', protocol: 'udp', backends: ['10.1.0.4:53'] },
      { vip: '11.0.0.9:80', protocol: 'tcp', backends: [] },
    ])
    expect(s.split('\n').slice(0, 2)).toEqual(['table ip meso_l4lb {}', 'delete table ip meso_l4lb'])
    expect(s).toContain('elements = { 11.0.0.7, 11.0.0.9 }')
    expect(s).toContain('ip daddr 11.0.0.7 tcp dport 80 dnat ip to numgen inc mod 2 map { 0 : 10.1.0.2 . 8000, 1 : 10.1.0.3 . 8000 }')
    expect(s).toContain('ip daddr 11.0.0.7 udp dport 53 dnat ip to numgen inc mod 1 map { 0 : 10.1.0.4 . 53 }')
    expect(s).not.toContain('11.0.0.9 tcp')
    expect(s).toContain('type nat hook prerouting priority dstnat')
    expect(s).toContain('type nat hook output priority -100')
    expect(s).toContain('ct original ip daddr @vip_addrs masquerade')
    expect(nftScript([])).toBe('table ip meso_l4lb {}\ndelete table ip meso_l4lb\n')
  })
  test('validation of what the master sent; address bookkeeping', () => {
    expect(() => validateVips([{ vip: '11.0.0.1:80', protocol: 'tcp', backends: ['x; flush ruleset'] }])).toThrow("'x; flush ruleset' is not IPv4:PORT")
    expect(() => validateVips([{ vip: '11.0.0.1:80', protocol: 'sctp', backends: [] }])).toThrow('entry 0')
    expect(() => validateVips('nope')).toThrow('must be a list')
    expect(vipAddresses([{ vip: '11.0.0.2:80', protocol: 'tcp', backends: [] }, { vip: '11.0.0.1:80', protocol: 'tcp', backends: [] }, { vip: '11.0.0.2:81', protocol: 'udp', backends: [] }])).toEqual(['11.0.0.1', '11.0.0.2'])
    expect(addressChanges(['11.0.0.1', '11.0.0.2'], ['11.0.0.2', '11.0.0.3'])).toEqual({ add: ['11.0.0.3'], remove: ['11.0.0.1'] })
    expect(parseLabelledAddresses('1: lo    inet 11.0.0.1/32 scope global lo:mesovip\\       valid_lft forever\n1: lo    inet 11.0.0.3/32 scope global lo:mesovip\n')).toEqual(['11.0.0.1', '11.0.0.3'])
  })
})

const unavailable = l4lbUnavailable() ?? (Bun.which('python3') && Bun.which('curl') ? undefined : 'python3 and curl are needed')
if (unavailable) console.warn(`\n*** SKIPPING the L4 load balancer in network namespaces: ${unavailable} ***\n`)

describe.skipIf(!!unavailable)('L4 load balancer in network namespaces', () => {
  const tag = Math.random().toString(16).slice(2, 8)
  const agentNs = `mvip-a-${tag}`
  const containerNs = `mvip-c-${tag}`
  const net = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 256)}`
  const dir = tempDir('meso-vip-l4lb-')
  const servers: Subprocess[] = []
  const sh = (argv: string[]) => {
    const r = Bun.spawnSync(argv, { stdout: 'pipe', stderr: 'pipe' })
    if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr.toString()}`)
    return r.stdout.toString()
  }
  const inNs = (ns: string, argv: string[]) => ['ip', 'netns', 'exec', ns, ...argv]
  const l4lb = new AgentL4lb({ netns: agentNs })
  /** One HTTP GET through a new connection from `ns`; the body names the backend. */
  const get = (ns: string, url: string) => {
    const r = Bun.spawnSync(inNs(ns, ['curl', '-s', '-m', '3', url]), { stdout: 'pipe' })
    return r.stdout.toString().trim() || `failed (${r.exitCode})`
  }
  const serve = async (ns: string, port: number, name: string) => {
    const root = join(dir, name)
    mkdirSync(root, { recursive: true })
    writeFileSync(join(root, 'index.html'), name)
    servers.push(Bun.spawn(inNs(ns, ['python3', '-m', 'http.server', String(port), '--bind', '0.0.0.0', '--directory', root]), { stdout: 'ignore', stderr: 'ignore' }))
  }

  beforeAll(async () => {
    sh(['ip', 'netns', 'add', agentNs])
    sh(['ip', 'netns', 'add', containerNs])
    sh(['ip', 'link', 'add', `mva${tag}`, 'netns', agentNs, 'type', 'veth', 'peer', 'name', `mvc${tag}`, 'netns', containerNs])
    sh(['ip', '-n', agentNs, 'addr', 'add', `${net}.1/24`, 'dev', `mva${tag}`])
    sh(['ip', '-n', containerNs, 'addr', 'add', `${net}.2/24`, 'dev', `mvc${tag}`])
    for (const [ns, dev] of [[agentNs, `mva${tag}`], [containerNs, `mvc${tag}`]] as const) {
      sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
      sh(['ip', '-n', ns, 'link', 'set', dev, 'up'])
    }
    sh(['ip', '-n', containerNs, 'route', 'add', 'default', 'via', `${net}.1`])
    sh(inNs(agentNs, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']))
    await serve(agentNs, 9001, 'host-backend')
    await serve(containerNs, 9002, 'container-backend')
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline && (get(agentNs, `http://${net}.1:9001/`) !== 'host-backend' || get(agentNs, `http://${net}.2:9002/`) !== 'container-backend')) await Bun.sleep(100)
  })

  afterAll(() => {
    for (const s of servers) s.kill('SIGKILL')
    for (const ns of [agentNs, containerNs]) Bun.spawnSync(['ip', 'netns', 'del', ns])
    rmSync(dir, { recursive: true, force: true })
  })

  const both = [`${net}.1:9001`, `${net}.2:9002`]

  test('from the host and from a container, connections to the VIP spread over both backends', async () => {
    l4lb.set([{ vip: '11.0.0.7:80', protocol: 'tcp', backends: both }])
    await l4lb.settled()
    expect(l4lb.lastError).toBeUndefined()
    expect(sh(['ip', '-n', agentNs, '-4', '-o', 'addr', 'show', 'dev', 'lo', 'label', 'lo:mesovip'])).toContain('11.0.0.7/32')
    for (const ns of [agentNs, containerNs]) {
      const seen = Array.from({ length: 6 }, () => get(ns, 'http://11.0.0.7/'))
      // The container-backend case from the container itself needs the masquerade (client and backend share a link).
      expect(new Set(seen)).toEqual(new Set(['host-backend', 'container-backend']))
    }
  })

  test('a backend taken out gets no new connection; a VIP without backends refuses at once', async () => {
    l4lb.set([{ vip: '11.0.0.7:80', protocol: 'tcp', backends: [`${net}.2:9002`] }, { vip: '11.0.0.8:80', protocol: 'tcp', backends: [] }])
    await l4lb.settled()
    for (const ns of [agentNs, containerNs]) {
      expect(new Set(Array.from({ length: 4 }, () => get(ns, 'http://11.0.0.7/')))).toEqual(new Set(['container-backend']))
    }
    const started = performance.now()
    expect(get(agentNs, 'http://11.0.0.8/')).toBe('failed (7)') // curl: connection refused
    expect(performance.now() - started).toBeLessThan(1000)
  })

  test('UDP VIPs: a datagram from a container reaches the backend and the answer comes back from the VIP', async () => {
    const echo = 'import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(("0.0.0.0", 9053))\nwhile True:\n    d, a = s.recvfrom(512)\n    s.sendto(b"udp-backend", a)\n'
    servers.push(Bun.spawn(inNs(agentNs, ['python3', '-c', echo]), { stdout: 'ignore', stderr: 'ignore' }))
    l4lb.set([{ vip: '11.0.0.7:53', protocol: 'udp', backends: [`${net}.1:9053`] }])
    await l4lb.settled()
    // connect() makes the socket accept answers from the VIP only: the reply must be un-NATed on its way back.
    const client = 'import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.settimeout(1)\ns.connect(("11.0.0.7", 53))\nfor i in range(20):\n    s.send(b"q")\n    try:\n        print(s.recv(512).decode()); break\n    except OSError:\n        pass\n'
    const r = Bun.spawnSync(inNs(containerNs, ['python3', '-c', client]), { stdout: 'pipe' })
    expect(r.stdout.toString().trim()).toBe('udp-backend')
  })

  test('an agent that restarts with a fresh state replaces what it finds; an empty table removes everything', async () => {
    const fresh = new AgentL4lb({ netns: agentNs })
    fresh.set([{ vip: '11.0.0.9:80', protocol: 'tcp', backends: both }])
    await fresh.settled()
    const addrs = sh(['ip', '-n', agentNs, '-4', '-o', 'addr', 'show', 'dev', 'lo', 'label', 'lo:mesovip'])
    expect(addrs).toContain('11.0.0.9/32')
    expect(addrs).not.toContain('11.0.0.7/32')
    expect(sh(inNs(agentNs, ['nft', 'list', 'table', 'ip', 'meso_l4lb']))).not.toContain('11.0.0.7')
    fresh.set([])
    await fresh.settled()
    expect(sh(['ip', '-n', agentNs, '-4', '-o', 'addr', 'show', 'dev', 'lo', 'label', 'lo:mesovip']).trim()).toBe('')
    expect(sh(inNs(agentNs, ['nft', 'list', 'tables']))).not.toContain('meso_l4lb')
  })
})
