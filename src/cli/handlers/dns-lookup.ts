// `meso dns lookup NAME`: finds the master's DNS (GET /api/meso/v1/dns) and asks it over UDP (TCP when truncated),
// the way a task's resolver does, so what it prints is what tasks get. Exit 1 when the answer is empty or an error.

import { lookup } from 'node:dns/promises'
import type DnsLookup from '../../commands/dns/lookup.ts'
import type { ParsedFor } from '../parsed.ts'
import { CliError, getJson, masterUrl } from '../../client/cluster.ts'
import { EXIT } from '../../client/exit-codes.ts'
import { printJson } from '../../client/output.ts'
import { dnsQuery } from '../../core/dns/client.ts'
import { formatRecord, RCODE, rcodeName, RR_TYPE, typeName, type ResourceRecord } from '../../core/dns/message.ts'
import type { DnsInfo } from '../../master/dns/service.ts'

const recordJson = (r: ResourceRecord) => ({ name: r.name, ttl: r.ttl, type: typeName(r.type), data: r.data.kind === 'raw' ? Buffer.from(r.data.bytes).toString('hex') : r.data })

export async function execute({ flags, args }: ParsedFor<typeof DnsLookup>): Promise<number | void> {
  const master = masterUrl(flags.master)
  const info = await getJson<DnsInfo | { enabled: false }>(`${master}/api/meso/v1/dns`)
  if (!info.enabled) throw new CliError(`the master at ${master} does not serve DNS; start it with --dns (meso up does)`)
  let ip = info.ip
  if (ip === '0.0.0.0' || ip === '::') {
    const host = new URL(master).hostname.replace(/^\[|\]$/g, '')
    ip = (await lookup(host).catch(() => ({ address: host }))).address
  }
  const name = args.name.replace(/\.$/, '').includes('.') ? args.name.replace(/\.$/, '') : `${args.name}.${info.domain}`
  const type = RR_TYPE[flags.type as keyof typeof RR_TYPE]
  let result
  try { result = await dnsQuery({ ip, port: info.port }, name, type) } catch (err) {
    throw new CliError(`DNS at ${ip}:${info.port}: ${(err as Error).message}`, EXIT.FAILED)
  }
  const m = result.message
  const status = rcodeName(m.header.rcode)
  if (flags.json) {
    printJson({
      name, type: flags.type, status, server: `${ip}:${info.port}`, transport: result.transport, ms: Math.round(result.ms * 10) / 10,
      authoritative: m.header.aa, answers: m.answers.map(recordJson), authority: m.authorities.map(recordJson),
      additional: m.additionals.filter(r => r.type !== RR_TYPE.OPT).map(recordJson),
    })
  } else {
    for (const r of m.answers) console.log(formatRecord(r))
    const extra = m.additionals.filter(r => r.type !== RR_TYPE.OPT)
    if (extra.length) { console.log(';; additional'); for (const r of extra) console.log(formatRecord(r)) }
    const how = `${status}${m.header.aa ? ', authoritative' : ''}, ${m.answers.length} answer${m.answers.length === 1 ? '' : 's'} from ${ip}:${info.port} over ${result.transport.toUpperCase()} in ${result.ms.toFixed(1)} ms`
    if (m.answers.length) console.error(`;; ${how}`)
    else if (m.header.rcode === RCODE.NOERROR) console.error(`no ${flags.type} records for ${name} (${how}: the name has records of other types)`)
    else console.error(`no ${flags.type} records for ${name} (${how})`)
  }
  return m.answers.length ? 0 : EXIT.FAILED
}
