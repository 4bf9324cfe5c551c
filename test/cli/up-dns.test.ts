// `meso up` and a taken port 53: DNS moves to a free port with a note instead of the cluster failing to start.

import { expect, test } from 'bun:test'
import { createSocket } from 'node:dgram'
import { withFreeDnsPort } from '../../src/commands/up-dns.ts'
import type { MasterFlags } from '../../src/master/flags.ts'

const flags = { dns: true, dns_port: 53, ip: '127.0.0.1' } as unknown as MasterFlags

test.skipIf(process.getuid?.() !== 0)('port 53 taken: a free port and a note; an explicit --dns_port is left alone', async () => {
  const squatter = createSocket('udp4')
  const bound = await new Promise<boolean>(resolve => {
    squatter.once('error', () => resolve(false))
    squatter.bind(53, '127.0.0.1', () => resolve(true))
  })
  try {
    // Whether we bound it or something on this machine already holds it, port 53 is taken now.
    const moved = await withFreeDnsPort(flags, {})
    expect(moved.values.dns_port).toBe(0)
    expect(moved.note).toContain('port 53 on 127.0.0.1 is taken')
    expect(await withFreeDnsPort(flags, { dns_port: '53' })).toEqual({ values: flags })
  } finally {
    if (bound) squatter.close()
  }
})

test('nothing to do without DNS or on another port', async () => {
  expect(await withFreeDnsPort({ ...flags, dns: false }, {})).toEqual({ values: { ...flags, dns: false } })
  expect(await withFreeDnsPort({ ...flags, dns_port: 8053 }, {})).toEqual({ values: { ...flags, dns_port: 8053 } })
})
