// The master's DNS service (--dns): the server bound at start, answering SERVFAIL for the domain until this master
// leads (a standby holds no records), then the records built from the master's state and kept current from its
// events. Upstreams from --dns_resolvers or /etc/resolv.conf. See docs/discovery.md.

import { readFileSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { logger } from '../../core/log.ts'
import type { MasterFlags } from '../flags.ts'
import type { Master } from '../master.ts'
import type { OperatorEvents } from '../operator-events.ts'
import { DnsFeed } from './feed.ts'
import { Forwarder } from './forwarder.ts'
import { rfc1123, rfc952 } from './labels.ts'
import { RecordSet } from './record-set.ts'
import type { DnsNaming, IpSource } from './records.ts'
import type { ResolverConfig, ResolverView } from './resolver.ts'
import { startDnsServer, type DnsServer } from './server.ts'
import { L4LB_ZONE } from '../vips/vip-records.ts'
import { isPrivateAddress, parseResolvers, resolversFromResolvConf, upstreamText, type Upstream } from './upstreams.ts'

const log = logger('dns')

/** What GET /api/meso/v1/dns says (used by `meso dns lookup`). */
export interface DnsInfo {
  enabled: true
  domain: string
  /** The address the server listens on, and the one to ask from this machine (127.0.0.1 for 0.0.0.0). */
  ip: string
  port: number
  ttl: number
  resolvers: string[]
  ip_sources: string[]
  leading: boolean
  records: number
  counters: { answered: number; forwarded: number; malformed: number; sendErrors: number }
}

export interface MasterDns {
  readonly server: DnsServer
  /** This master leads: serve its records from now on. */
  attach(master: Master, events: OperatorEvents): void
  info(): DnsInfo
  stop(): void
  /** Replaces the records of an owner outside the master's events (the named VIPs, src/master/vips/). */
  replaceRecords(owner: string, records: import('./record-set.ts').DnsRecord[]): void
  readonly naming: DnsNaming
}

function localAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap(list => (list ?? []).map(i => i.address))
}

export function upstreamsFor(flags: MasterFlags, ip: string, port: number, resolvConf = '/etc/resolv.conf'): Upstream[] {
  if (flags.dns_resolvers !== undefined) return flags.dns_resolvers.trim() === 'none' ? [] : parseResolvers(flags.dns_resolvers)
  let text = ''
  try { text = readFileSync(resolvConf, 'utf8') } catch { log.warn(`--dns: no ${resolvConf} and no --dns_resolvers: names outside the domain are refused`) }
  const wildcard = ip === '0.0.0.0' || ip === '::'
  return resolversFromResolvConf(text, { ips: wildcard ? localAddresses() : [ip], port, wildcard })
}

export async function startMasterDns(flags: MasterFlags, advertiseIp: string): Promise<MasterDns> {
  const domain = flags.dns_domain.toLowerCase()
  const naming: DnsNaming = {
    domain, spec: flags.dns_enforce_rfc952 ? rfc952 : rfc1123,
    ipSources: flags.dns_ip_sources.split(',').map(s => s.trim()) as IpSource[],
  }
  const ip = flags.dns_ip ?? flags.ip
  const wildcard = ip === '0.0.0.0' || ip === '::'
  // Parsed before binding, so a bad --dns_resolvers stops the master at start.
  const upstreams = upstreamsFor(flags, ip, flags.dns_port)
  const cfg: ResolverConfig = { domain, ttl: flags.dns_ttl, recursion: upstreams.length > 0, serialBase: Math.floor(Date.now() / 1000), zones: [L4LB_ZONE] }
  const view: ResolverView = { records: undefined }
  const forwarder = new Forwarder(upstreams, flags.dns_forward_timeout)
  const server = await startDnsServer({ ip, port: flags.dns_port, cfg, view, forwarder, mayForward: wildcard ? isPrivateAddress : undefined })
  log.info(`DNS for '${domain}' on ${ip}:${server.port} (UDP and TCP); other names forwarded to ${upstreams.length ? upstreams.map(upstreamText).join(', ') : 'nobody (REFUSED)'}`)
  let unlisten: (() => void) | undefined
  const records = new RecordSet()
  return {
    server,
    attach(master, events) {
      const feed = new DnsFeed(records, naming, advertiseIp)
      feed.load(master.state)
      unlisten = events.listen((type, payload) => {
        try { feed.onEvent(master.state, type, payload) } catch (err) {
          // A record that cannot be built must not stop the event reaching the operator API's subscribers.
          log.error(`DNS records for ${type} failed: ${(err as Error).stack ?? err}`)
        }
      })
      view.records = records
    },
    info: () => ({
      enabled: true, domain, ip, port: server.port, ttl: flags.dns_ttl, resolvers: upstreams.map(upstreamText),
      ip_sources: [...naming.ipSources], leading: !!view.records, records: records.names, counters: { ...server.counters },
    }),
    stop() { unlisten?.(); server.stop() },
    replaceRecords: (owner, list) => records.replace(owner, list),
    naming,
  }
}
