import { describe, expect, test } from 'bun:test'
import { formatZooKeeperUrl, parseServers, parseZooKeeperUrl, redactUrl, ZooKeeperUrlError } from '../../src/core/zookeeper/url.ts'

describe('zk:// URLs', () => {
  test('servers and path, as Mesos reads them', () => {
    expect(parseZooKeeperUrl('zk://h1:2181,h2:2182/mesos')).toEqual({ servers: [{ host: 'h1', port: 2181 }, { host: 'h2', port: 2182 }], path: '/mesos' })
    expect(parseZooKeeperUrl(' zk://10.0.0.1:2181/a/b ')).toEqual({ servers: [{ host: '10.0.0.1', port: 2181 }], path: '/a/b' })
  })
  test('no path is the root, a trailing slash is dropped, a missing port is 2181', () => {
    expect(parseZooKeeperUrl('zk://h')).toEqual({ servers: [{ host: 'h', port: 2181 }], path: '/' })
    expect(parseZooKeeperUrl('zk://h:1/').path).toBe('/')
    expect(parseZooKeeperUrl('zk://h:1/mesos/').path).toBe('/mesos')
  })
  test('credentials before the last @ are digest auth', () => {
    expect(parseZooKeeperUrl('zk://jane:s3cr@t@h1:2181,h2:2181/mesos')).toEqual({
      servers: [{ host: 'h1', port: 2181 }, { host: 'h2', port: 2181 }], path: '/mesos', auth: { scheme: 'digest', credentials: 'jane:s3cr@t' },
    })
  })
  test('IPv6 servers in brackets', () => {
    expect(parseServers('[::1]:2181,[fe80::1]')).toEqual([{ host: '::1', port: 2181 }, { host: 'fe80::1', port: 2181 }])
    expect(formatZooKeeperUrl(parseZooKeeperUrl('zk://[::1]:2182/m'))).toBe('zk://[::1]:2182/m')
  })
  test('bad URLs say what is wrong, without the password', () => {
    expect(() => parseZooKeeperUrl('http://h:2181/mesos')).toThrow("expecting 'zk://'")
    expect(() => parseZooKeeperUrl('zk://h:99999/mesos')).toThrow("bad port in 'h:99999'")
    expect(() => parseZooKeeperUrl('zk://h1,,h2/mesos')).toThrow('empty server')
    expect(() => parseZooKeeperUrl('zk:///mesos')).toThrow(ZooKeeperUrlError)
    expect(() => parseZooKeeperUrl('zk://h//mesos')).toThrow('empty segment')
    expect(() => parseZooKeeperUrl('zk://nopassword@h/mesos')).toThrow("credentials must be 'user:password'")
    expect(() => parseZooKeeperUrl('zk://u:hunter2@h:x/m')).toThrow("invalid ZooKeeper URL 'zk://u:***@h:x/m'")
  })
  test('formatting hides the password unless asked', () => {
    const u = parseZooKeeperUrl('zk://u:pw@h1:2181,h2:2181/mesos')
    expect(formatZooKeeperUrl(u)).toBe('zk://u:***@h1:2181,h2:2181/mesos')
    expect(formatZooKeeperUrl(u, true)).toBe('zk://u:pw@h1:2181,h2:2181/mesos')
    expect(redactUrl('zk://h1:2181/mesos')).toBe('zk://h1:2181/mesos')
  })
})
