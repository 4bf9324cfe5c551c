// `meso task run --network NAME -p HOSTPORT:CONTAINERPORT[/udp]`: parsing, the ports resource, the ContainerInfo.

import { describe, expect, test } from 'bun:test'
import { hostPortsResource, parsePortMapping, withNetwork } from '../../src/client/port-mappings.ts'

describe('-p and --network', () => {
  test('HOSTPORT:CONTAINERPORT[/tcp|/udp]', () => {
    expect(parsePortMapping('31080:80')).toEqual({ host_port: 31080, container_port: 80, protocol: 'tcp' })
    expect(parsePortMapping('31053:53/UDP')).toEqual({ host_port: 31053, container_port: 53, protocol: 'udp' })
    for (const bad of ['80', '0:80', '70000:80', 'a:b', '1:2/sctp', '1:2:3']) {
      expect(() => parsePortMapping(bad)).toThrow('-p expects HOSTPORT:CONTAINERPORT')
    }
  })

  test('host ports become one ports resource, consecutive ones merged', () => {
    const pm = [parsePortMapping('31081:81'), parsePortMapping('31080:80'), parsePortMapping('31090:90/udp')]
    expect(hostPortsResource(pm)).toEqual([{ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31080, end: 31081 }, { begin: 31090, end: 31090 }] } }])
    expect(hostPortsResource([])).toEqual([])
  })

  test('the network joins the task\'s ContainerInfo, keeping what is there', () => {
    expect(withNetwork(undefined, 'meso', [])).toEqual({ type: 'MESOS', network_infos: [{ name: 'meso' }] })
    const rl = { type: 'MESOS' as const, rlimit_info: { rlimits: [{ type: 'RLMT_CORE' as const, soft: 0, hard: 0 }] } }
    expect(withNetwork(rl as any, 'meso', [parsePortMapping('31080:80')])).toEqual({ ...rl, network_infos: [{ name: 'meso', port_mappings: [{ host_port: 31080, container_port: 80, protocol: 'tcp' }] }] } as any)
  })
})
