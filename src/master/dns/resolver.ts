// What meso's DNS answers to one query, decided from the record set without I/O: authoritative answers for the
// domain (Mesos-DNS resolver/resolver.go HandleMesos: A, AAAA, SRV with the targets' addresses as additional
// records, SOA and NS for the domain, ANY; shuffled for rudimentary load balancing; NXDOMAIN with the SOA for names
// that have no records), "forward" for every other name (HandleNonMesos), and the protocol errors (FORMERR, NOTIMP,
// REFUSED, SERVFAIL on a standby master, which holds no records). See docs/discovery.md.

import { EDNS_UDP_SIZE, RCODE, RR_CLASS_IN, RR_TYPE, type Message, type Question, type ResourceRecord } from '../../core/dns/message.ts'
import type { DnsRecord, RecordSet } from './record-set.ts'

export interface ResolverConfig {
  /** Lower case, no dots at either end. */
  domain: string
  ttl: number
  /** Whether other names are forwarded (--dns_resolvers gave at least one): the RA bit. */
  recursion: boolean
  /** Seconds since the epoch when the records were first built; the SOA serial counts on from it. */
  serialBase: number
  /** Further zones answered from the same records (VIPs' `l4lb.thisdcos.directory`, src/master/vips/vip-records.ts). */
  zones?: string[]
}

/** Mesos-DNS' SOA defaults (records/config.go): ns1.<domain>, root.ns1.<domain>, refresh 60, retry 600, expire 86400. */
export const SOA_REFRESH = 60
export const SOA_RETRY = 600
export const SOA_EXPIRE = 86400

export type Resolution =
  | { kind: 'answer'; message: Message }
  /** A name outside the domain: ask the upstream resolvers. */
  | { kind: 'forward' }
  /** Not a query (a response sent to us): no answer, so that two servers cannot bounce errors at each other. */
  | { kind: 'drop' }

/** The records to answer with: the leader's record set, or undefined on a standby master. */
export interface ResolverView { records: RecordSet | undefined }

const CLASS_ANY = 255

export function inDomain(name: string, domain: string): boolean {
  return name === domain || name.endsWith(`.${domain}`)
}

function reply(query: Message, rcode: number, cfg: ResolverConfig, aa: boolean): Message {
  const additionals: ResourceRecord[] = []
  if (query.additionals.some(r => r.type === RR_TYPE.OPT)) additionals.push({ name: '', type: RR_TYPE.OPT, class: EDNS_UDP_SIZE, ttl: 0, data: { kind: 'raw', bytes: new Uint8Array(0) } })
  return {
    header: { id: query.header.id, qr: true, opcode: query.header.opcode, aa, tc: false, rd: query.header.rd, ra: cfg.recursion, rcode },
    questions: query.questions.slice(0, 1), answers: [], authorities: [], additionals,
  }
}

/** FORMERR for a packet that could not be read, when its header says it is a query; undefined otherwise. */
export function malformedReply(packet: Uint8Array, cfg: ResolverConfig): Message | undefined {
  if (packet.length < 12 || (packet[2]! & 0x80) !== 0) return undefined
  const id = (packet[0]! << 8) | packet[1]!
  return {
    header: { id, qr: true, opcode: (packet[2]! >> 3) & 0xf, aa: false, tc: false, rd: (packet[2]! & 1) !== 0, ra: cfg.recursion, rcode: RCODE.FORMERR },
    questions: [], answers: [], authorities: [], additionals: [],
  }
}

function toWire(name: string, r: DnsRecord, ttl: number): ResourceRecord {
  switch (r.type) {
    case 'A': return { name, type: RR_TYPE.A, class: RR_CLASS_IN, ttl, data: { kind: 'A', address: r.value } }
    case 'AAAA': return { name, type: RR_TYPE.AAAA, class: RR_CLASS_IN, ttl, data: { kind: 'AAAA', address: r.value } }
    case 'SRV': {
      const i = r.value.lastIndexOf(':')
      return { name, type: RR_TYPE.SRV, class: RR_CLASS_IN, ttl, data: { kind: 'SRV', priority: 0, weight: 0, port: Number(r.value.slice(i + 1)), target: r.value.slice(0, i) } }
    }
  }
}

function soa(name: string, cfg: ResolverConfig, serial: number): ResourceRecord {
  return {
    name, type: RR_TYPE.SOA, class: RR_CLASS_IN, ttl: cfg.ttl,
    data: { kind: 'SOA', mname: `ns1.${cfg.domain}`, rname: `root.ns1.${cfg.domain}`, serial: (cfg.serialBase + serial) >>> 0, refresh: SOA_REFRESH, retry: SOA_RETRY, expire: SOA_EXPIRE, minimum: cfg.ttl },
  }
}

function ns(name: string, cfg: ResolverConfig): ResourceRecord {
  return { name, type: RR_TYPE.NS, class: RR_CLASS_IN, ttl: cfg.ttl, data: { kind: 'NS', host: `ns1.${cfg.domain}` } }
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = items[i]!
    items[i] = items[j]!
    items[j] = t
  }
  return items
}

export function resolve(query: Message, view: ResolverView, cfg: ResolverConfig, random: () => number = Math.random): Resolution {
  if (query.header.qr) return { kind: 'drop' }
  if (query.header.opcode !== 0) return { kind: 'answer', message: reply(query, RCODE.NOTIMP, cfg, false) }
  if (query.questions.length !== 1) return { kind: 'answer', message: reply(query, RCODE.FORMERR, cfg, false) }
  const q = query.questions[0]!
  const name = q.name.toLowerCase()
  if (!inDomain(name, cfg.domain) && !cfg.zones?.some(z => inDomain(name, z))) return cfg.recursion ? { kind: 'forward' } : { kind: 'answer', message: reply(query, RCODE.REFUSED, cfg, false) }
  if (q.class !== RR_CLASS_IN && q.class !== CLASS_ANY) return { kind: 'answer', message: reply(query, RCODE.REFUSED, cfg, false) }
  const records = view.records
  // A standby master knows no tasks: SERVFAIL makes stub resolvers ask their next nameserver (another master).
  if (!records) return { kind: 'answer', message: reply(query, RCODE.SERVFAIL, cfg, false) }
  return { kind: 'answer', message: authoritative(query, q, name, records, cfg, random) }
}

function authoritative(query: Message, q: Question, name: string, records: RecordSet, cfg: ResolverConfig, random: () => number): Message {
  const m = reply(query, RCODE.NOERROR, cfg, true)
  const apex = name === cfg.domain
  const want = (t: number) => q.type === t || q.type === RR_TYPE.ANY
  if (want(RR_TYPE.SRV)) {
    const srvs = shuffle(records.lookup(name, 'SRV'), random)
    const targets = new Set<string>()
    for (const r of srvs) {
      const rr = toWire(q.name, r, cfg.ttl)
      m.answers.push(rr)
      if (rr.data.kind === 'SRV') targets.add(rr.data.target)
    }
    // The first address of each target, as Mesos-DNS adds them (rs.As.First): enough to connect without a second query.
    for (const t of targets) {
      for (const type of ['A', 'AAAA'] as const) {
        const a = records.lookup(t, type)[0]
        if (a) m.additionals.push(toWire(t, a, cfg.ttl))
      }
    }
  }
  if (want(RR_TYPE.A)) m.answers.push(...shuffle(records.lookup(name, 'A'), random).map(r => toWire(q.name, r, cfg.ttl)))
  if (want(RR_TYPE.AAAA)) m.answers.push(...shuffle(records.lookup(name, 'AAAA'), random).map(r => toWire(q.name, r, cfg.ttl)))
  if (apex && want(RR_TYPE.SOA)) m.answers.push(soa(q.name, cfg, records.serial))
  if (apex && want(RR_TYPE.NS)) m.answers.push(ns(q.name, cfg))
  if (m.answers.length) return m
  // No answer: NODATA when the name exists with other types, else NXDOMAIN; the SOA lets resolvers cache either.
  if (!apex && !records.has(name)) m.header.rcode = RCODE.NXDOMAIN
  m.authorities.push(soa(cfg.domain, cfg, records.serial))
  return m
}
