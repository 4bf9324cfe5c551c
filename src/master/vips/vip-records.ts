// DNS names of named VIPs: `<name>.<framework>.l4lb.thisdcos.directory` as DC/OS resolves them (the name's `/`
// dropped, so `/group/app` is `groupapp`; the framework's name through the label rules, `marathon` for Marathon),
// and meso's shorter `<name>.vip.<domain>` (`web.vip.mesos`). Explicit-address VIPs have no name. Pure.

import type { DnsRecord } from '../dns/record-set.ts'
import { domainFrag, type LabelSpec } from '../dns/labels.ts'
import type { VipTable } from './vip-table.ts'

/** The zone DC/OS serves VIP names in; meso's DNS answers it as well as its own domain. */
export const L4LB_ZONE = 'l4lb.thisdcos.directory'

export function vipNames(name: string, framework: string, domain: string, spec: LabelSpec): string[] {
  const label = spec(name.replace(/\//g, ''))
  const fw = domainFrag(framework, spec)
  if (!label) return []
  const names = [`${label}.vip.${domain}`]
  if (fw) names.unshift(`${label}.${fw}.${L4LB_ZONE}`)
  return names
}

export function vipRecords(table: VipTable, domain: string, spec: LabelSpec): DnsRecord[] {
  const out: DnsRecord[] = []
  const seen = new Set<string>()
  for (const e of table.vips) {
    if (e.name === undefined || e.framework === undefined) continue
    for (const name of vipNames(e.name, e.framework, domain, spec)) {
      const key = `${name} ${e.ip}`
      if (seen.has(key)) continue
      seen.add(key)
      out.push({ name, type: 'A', value: e.ip })
    }
  }
  return out
}
