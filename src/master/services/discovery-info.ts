// The DiscoveryInfo of an app's task, as Marathon's TaskBuilder/PortDiscovery make it: visibility FRAMEWORK, the
// task's name, and one port per port and protocol, with the port's name and labels. The labels are where DC/OS VIPs
// are declared (`VIP_0: /web:80` on a port definition or mapping: src/master/vips/), and Mesos-DNS serves the ports
// as SRV records (src/master/dns/records.ts). On the host's network a port is the host port the task got; on a CNI
// network it is the container port (what the task listens on at its container address, which is what VIP backends
// and DNS point at there). Pure.

import type { AppDefinition } from './app-definition.ts'

export interface DiscoveryPort { number: number; name?: string; protocol: string; labels?: { labels: { key: string; value: string }[] } }
export interface DiscoveryInfo { visibility: 'FRAMEWORK'; name: string; ports?: { ports: DiscoveryPort[] } }

const labelsOf = (labels: Record<string, string>, scope: Record<string, string>) => {
  const all = Object.entries({ ...labels, ...scope }).map(([key, value]) => ({ key, value }))
  return all.length ? { labels: { labels: all } } : {}
}

/** `name`: the task's name (its DNS name comes from it); `hostPorts`: the host ports the task got, in order. */
export function discoveryInfo(app: AppDefinition, name: string, hostPorts: readonly number[]): DiscoveryInfo {
  const ports: DiscoveryPort[] = []
  const network = app.networks[0]?.mode === 'container' ? app.networks[0] : undefined
  const add = (number: number, p: { name?: string; protocol: string; labels: Record<string, string> }, scope: Record<string, string>) => {
    for (const protocol of p.protocol.split(',')) ports.push({ number, ...(p.name ? { name: p.name } : {}), protocol, ...labelsOf(p.labels, scope) })
  }
  if (network) {
    for (const m of app.container?.portMappings ?? []) add(m.containerPort, m, { 'network-scope': 'container', ...(network.name ? { 'network-name': network.name } : {}) })
  } else {
    app.portDefinitions.forEach((p, i) => { const port = hostPorts[i]; if (port !== undefined) add(port, p, { 'network-scope': 'host' }) })
  }
  return { visibility: 'FRAMEWORK', name, ...(ports.length ? { ports: { ports } } : {}) }
}
