// A DNS message (RFC 1035 §4) as plain data: what the wire codec (wire.ts) reads and writes. Names are kept as text
// without the trailing dot ("" is the root), with bytes that are not printable, '.' and '\' inside a label written as
// `\DDD` (as dig prints them), so a hostile label cannot pretend to be two.

export const RR_TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const
export const RR_CLASS_IN = 1

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const

/** Largest message over UDP without EDNS (RFC 1035 §2.3.4), and over TCP (the 16-bit length prefix). */
export const UDP_MIN_SIZE = 512
export const TCP_MAX_SIZE = 65535
/** The UDP payload size meso advertises and accepts at most (the DNS flag day 2020 value: no IP fragmentation). */
export const EDNS_UDP_SIZE = 1232

export interface Header {
  id: number
  /** true in a response. */
  qr: boolean
  opcode: number
  aa: boolean
  tc: boolean
  rd: boolean
  ra: boolean
  rcode: number
}

export interface Question { name: string; type: number; class: number }

export type RData =
  | { kind: 'A'; address: string }
  | { kind: 'AAAA'; address: string }
  | { kind: 'SRV'; priority: number; weight: number; port: number; target: string }
  | { kind: 'NS'; host: string }
  | { kind: 'CNAME'; host: string }
  | { kind: 'SOA'; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }
  /** Any other type, kept as its bytes (compression pointers inside are not followed: only the types above have names). */
  | { kind: 'raw'; bytes: Uint8Array }

export interface ResourceRecord {
  name: string
  type: number
  /** For OPT: the sender's UDP payload size. */
  class: number
  /** For OPT: extended rcode, version and flags. */
  ttl: number
  data: RData
}

export interface Message {
  header: Header
  questions: Question[]
  answers: ResourceRecord[]
  authorities: ResourceRecord[]
  additionals: ResourceRecord[]
}

export function typeName(type: number): string {
  for (const [k, v] of Object.entries(RR_TYPE)) if (v === type) return k
  return `TYPE${type}`
}

export function rcodeName(rcode: number): string {
  for (const [k, v] of Object.entries(RCODE)) if (v === rcode) return k
  return `RCODE${rcode}`
}

/** A query for one name, as a stub resolver sends it (recursion desired). */
export function queryMessage(id: number, name: string, type: number, ednsUdpSize?: number): Message {
  const additionals: ResourceRecord[] = ednsUdpSize ? [{ name: '', type: RR_TYPE.OPT, class: ednsUdpSize, ttl: 0, data: { kind: 'raw', bytes: new Uint8Array(0) } }] : []
  return {
    header: { id, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, rcode: 0 },
    questions: [{ name, type, class: RR_CLASS_IN }], answers: [], authorities: [], additionals,
  }
}

/** The largest response the asker takes over UDP: its EDNS payload size (bounded to meso's), else 512. */
export function udpLimit(query: Message): number {
  const opt = query.additionals.find(r => r.type === RR_TYPE.OPT)
  if (!opt) return UDP_MIN_SIZE
  return Math.min(Math.max(opt.class, UDP_MIN_SIZE), EDNS_UDP_SIZE)
}

/** One resource record as dig prints it (`web.marathon.mesos. 60 IN A 10.0.0.2`). */
export function formatRecord(r: ResourceRecord): string {
  const d = r.data
  let rdata: string
  switch (d.kind) {
    case 'A': case 'AAAA': rdata = d.address; break
    case 'SRV': rdata = `${d.priority} ${d.weight} ${d.port} ${d.target}.`; break
    case 'NS': case 'CNAME': rdata = `${d.host}.`; break
    case 'SOA': rdata = `${d.mname}. ${d.rname}. ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`; break
    case 'raw': rdata = `\\# ${d.bytes.length} ${Buffer.from(d.bytes).toString('hex')}`
  }
  return `${r.name}.\t${r.ttl}\tIN\t${typeName(r.type)}\t${rdata}`
}
