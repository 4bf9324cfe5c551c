// An app task's DiscoveryInfo: the host ports it got on the host's network, the container ports on a CNI network,
// one port per protocol, with the port's name and labels (where VIP_<n> labels live) — what the VIP table and
// Mesos-DNS read.

import { expect, test } from 'bun:test'
import { parseApp } from '../../../src/master/services/app-definition.ts'
import { discoveryInfo } from '../../../src/master/services/discovery-info.ts'
import { buildAppTask } from '../../../src/master/services/task-info.ts'
import { taskVips } from '../../../src/master/vips/vip-labels.ts'

const NOW = '2026-01-01T00:00:00.000Z'

test('host networking: the host ports, named and labelled; a VIP label makes a VIP on the task port', () => {
  const app = parseApp({ id: '/shop/web', cmd: 'serve', portDefinitions: [{ port: 0, name: 'http', labels: { VIP_0: '/shop/web:80' } }, { port: 0, protocol: 'udp,tcp' }] }, { now: NOW })
  const t = buildAppTask(app, 'shop_web.x', 'agent-1', 'node-a', [], [31000, 31001], [10000, 10001]) as any
  expect(t.discovery).toEqual({
    visibility: 'FRAMEWORK', name: 'shop_web',
    ports: { ports: [
      { number: 31000, name: 'http', protocol: 'tcp', labels: { labels: [{ key: 'VIP_0', value: '/shop/web:80' }, { key: 'network-scope', value: 'host' }] } },
      { number: 31001, protocol: 'udp', labels: { labels: [{ key: 'network-scope', value: 'host' }] } },
      { number: 31001, protocol: 'tcp', labels: { labels: [{ key: 'network-scope', value: 'host' }] } },
    ] },
  })
  expect(taskVips(t.discovery).vips).toEqual([{ label: 'VIP_0', address: { kind: 'named', name: 'shop/web', port: 80 }, protocol: 'tcp', taskPort: 31000 }])
})

test('a CNI network: the container ports, whether published on the host or not', () => {
  const app = parseApp({
    id: '/api', cmd: 'serve', networks: [{ mode: 'container', name: 'meso' }],
    container: { type: 'MESOS', portMappings: [{ containerPort: 8080, hostPort: 0, name: 'http', labels: { VIP_0: '/api:80' } }, { containerPort: 9090 }] },
  }, { now: NOW })
  expect(discoveryInfo(app, 'api', [31000]).ports!.ports.map(p => [p.number, p.name, p.labels?.labels.map(l => `${l.key}=${l.value}`)])).toEqual([
    [8080, 'http', ['VIP_0=/api:80', 'network-scope=container', 'network-name=meso']],
    [9090, undefined, ['network-scope=container', 'network-name=meso']],
  ])
})

test('no ports: the name only', () => {
  const app = parseApp({ id: '/worker', cmd: 'work', portDefinitions: [] }, { now: NOW })
  expect(discoveryInfo(app, 'worker', [])).toEqual({ visibility: 'FRAMEWORK', name: 'worker' })
})
