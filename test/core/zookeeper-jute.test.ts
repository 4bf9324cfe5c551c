// The pure layers of the ZooKeeper client: jute, records, framing, error names, paths, watches, group names,
// session timing. No server.

import { describe, expect, test } from 'bun:test'
import { digestId, EVERYONE_READ_CREATOR_ALL } from '../../src/core/zookeeper/acl.ts'
import { codeName, ZooKeeperError } from '../../src/core/zookeeper/errors.ts'
import { frame, FrameDecoder, FrameError } from '../../src/core/zookeeper/framing.ts'
import { leaderOf, memberPrefix, members, parseMember } from '../../src/core/zookeeper/group.ts'
import { JuteError, JuteReader, JuteWriter } from '../../src/core/zookeeper/jute.ts'
import { Liveness } from '../../src/core/zookeeper/liveness.ts'
import { InvalidPathError, parentPath, pathPrefixes, validatePath } from '../../src/core/zookeeper/paths.ts'
import {
  decodeConnectRequest, decodeConnectResponse, decodeSetWatches, encodeConnectRequest, encodeConnectResponse, encodeMulti, encodeMultiResponse,
  encodeReplyHeader, encodeRequest, encodeSetWatches, encodeWatcherEvent, OpCode, readMultiResponse, readReplyHeader, readStat,
  readWatcherEvent, type Stat, writeStat,
} from '../../src/core/zookeeper/records.ts'
import { WatchRegistry } from '../../src/core/zookeeper/watches.ts'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const stat: Stat = {
  czxid: 0x1_0000_0005n, mzxid: 7n, ctime: 1_700_000_000_123, mtime: 1_700_000_000_456, version: 3, cversion: -1, aversion: 0,
  ephemeralOwner: 0x1000019e0bf0000n, dataLength: 5, numChildren: 2, pzxid: 9n,
}

describe('jute', () => {
  test('primitives are big-endian, lengths prefix buffers and strings, -1 means null', () => {
    const bytes = new JuteWriter().int(-2).long(0x0102030405060708n).bool(true).ustring('é').buffer(null).vector(['a', 'b'], (w, s) => w.ustring(s)).bytes()
    expect(hex(bytes)).toBe('fffffffe' + '0102030405060708' + '01' + '00000002c3a9' + 'ffffffff' + '00000002' + '0000000161' + '0000000162')
    const r = new JuteReader(bytes)
    expect([r.int(), r.long(), r.bool(), r.ustring(), r.buffer(), r.vector(r => r.ustring())]).toEqual([-2, 0x0102030405060708n, true, 'é', null, ['a', 'b']])
    expect(r.remaining).toBe(0)
  })
  test('64-bit values survive: session ids above 2^53 and negative longs', () => {
    const r = new JuteReader(new JuteWriter().long(0x7fff_ffff_ffff_fff1n).long(-5n).bytes())
    expect([r.long(), r.long()]).toEqual([0x7fff_ffff_ffff_fff1n, -5n])
  })
  test('a truncated frame or an absurd vector count is an error, not garbage', () => {
    expect(() => new JuteReader(new Uint8Array([0, 0, 0])).int()).toThrow(JuteError)
    expect(() => new JuteReader(new JuteWriter().int(10).bytes()).buffer()).toThrow('buffer needs 10 bytes')
    expect(() => new JuteReader(new JuteWriter().int(1_000_000).bytes()).vector(r => r.int())).toThrow('exceeds the frame')
  })
  test('the writer grows past its first buffer', () => {
    const big = new Uint8Array(10_000).fill(7)
    const r = new JuteReader(new JuteWriter().buffer(big).int(1).bytes())
    expect(r.buffer()).toEqual(big)
    expect(r.int()).toBe(1)
  })
})

describe('records', () => {
  test('ConnectRequest: protocol 0, lastZxidSeen, timeout, session, 16-byte password, readOnly', () => {
    const req = { protocolVersion: 0, lastZxidSeen: 42n, timeOut: 1000, sessionId: 0x1234n, passwd: new Uint8Array(16).fill(1), readOnly: false }
    const bytes = encodeConnectRequest(req)
    expect(bytes.length).toBe(4 + 8 + 4 + 8 + 4 + 16 + 1)
    expect(decodeConnectRequest(new JuteReader(bytes))).toEqual(req)
  })
  test('ConnectResponse round trip, and the readOnly byte that servers before 3.4 leave out', () => {
    const res = { protocolVersion: 0, timeOut: 4000, sessionId: 0x100000abcdefn, passwd: new Uint8Array(16).fill(9), readOnly: false }
    expect(decodeConnectResponse(new JuteReader(encodeConnectResponse(res)))).toEqual(res)
    const old = encodeConnectResponse(res).slice(0, -1)
    expect(decodeConnectResponse(new JuteReader(old))).toEqual(res)
  })
  test('request header, reply header, watcher event', () => {
    expect(hex(encodeRequest(-2, OpCode.ping))).toBe('fffffffe0000000b')
    const hdr = { xid: 7, zxid: 0x200000001n, err: -101 }
    expect(readReplyHeader(new JuteReader(encodeReplyHeader(hdr)))).toEqual(hdr)
    const ev = { type: 4, state: 3, path: '/mesos' }
    expect(readWatcherEvent(new JuteReader(encodeWatcherEvent(ev)))).toEqual(ev)
  })
  test('Stat round trip', () => {
    const w = new JuteWriter()
    writeStat(w, stat)
    expect(w.bytes().length).toBe(68)
    expect(readStat(new JuteReader(w.bytes()))).toEqual(stat)
  })
  test('SetWatches round trip', () => {
    const s = { relativeZxid: 99n, dataWatches: ['/a'], existWatches: [], childWatches: ['/mesos', '/b'] }
    expect(decodeSetWatches(new JuteReader(encodeSetWatches(s)))).toEqual(s)
  })
  test('multi request: a MultiHeader per op, then {-1, done, -1}', () => {
    const bytes = encodeMulti([{ type: 'check', path: '/l', version: 0 }, { type: 'delete', path: '/x' }], EVERYONE_READ_CREATOR_ALL)
    const r = new JuteReader(bytes)
    expect([r.int(), r.bool(), r.int(), r.ustring(), r.int()]).toEqual([OpCode.check, false, -1, '/l', 0])
    expect([r.int(), r.bool(), r.int(), r.ustring(), r.int()]).toEqual([OpCode.delete, false, -1, '/x', -1])
    expect([r.int(), r.bool(), r.int()]).toEqual([-1, true, -1])
    expect(r.remaining).toBe(0)
  })
  test('multi response round trip, success and failure', () => {
    const ok = [{ type: 'check' as const }, { type: 'create' as const, path: '/a0000000001' }, { type: 'setData' as const, stat }, { type: 'delete' as const }]
    expect(readMultiResponse(new JuteReader(encodeMultiResponse(ok)))).toEqual(ok)
    const failed = [{ type: 'error' as const, err: -101 }, { type: 'error' as const, err: -2 }]
    expect(readMultiResponse(new JuteReader(encodeMultiResponse(failed)))).toEqual(failed)
  })
})

describe('framing', () => {
  test('frames across every chunk boundary', () => {
    const all = new Uint8Array([...frame(new Uint8Array([1, 2, 3])), ...frame(new Uint8Array(0)), ...frame(new Uint8Array([4]))])
    for (let split = 0; split <= all.length; split++) {
      const d = new FrameDecoder()
      const out = [...d.push(all.subarray(0, split)), ...d.push(all.subarray(split))]
      expect(out.map(f => [...f])).toEqual([[1, 2, 3], [], [4]])
    }
  })
  test('a corrupt length is refused before it allocates', () => {
    expect(() => new FrameDecoder(100).push(new Uint8Array([0, 0, 1, 0]))).toThrow(FrameError)
    expect(() => new FrameDecoder().push(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toThrow('out of range')
  })
})

describe('errors', () => {
  test('codes are named and the message says what, where and on which server', () => {
    expect(codeName(-101)).toBe('NONODE')
    expect(codeName(-112)).toBe('SESSIONEXPIRED')
    expect(codeName(-999)).toBe('UNKNOWN')
    const e = new ZooKeeperError(-110, { op: 'create', path: '/mesos/x', server: '127.0.0.1:2181' })
    expect(e.code).toBe('NODEEXISTS')
    expect(e.message).toBe("ZooKeeper NODEEXISTS: node already exists (create '/mesos/x' on 127.0.0.1:2181)")
  })
})

describe('paths', () => {
  test('ZooKeeper path rules', () => {
    for (const ok of ['/', '/a', '/a/b.c', '/mesos/json.info_0000000001']) expect(validatePath(ok)).toBe(ok)
    for (const bad of ['', 'a', '/a/', '//a', '/a//b', '/a/./b', '/a/..', '/a\u0000b']) expect(() => validatePath(bad)).toThrow(InvalidPathError)
    expect(validatePath('/group/', true)).toBe('/group/')
    expect(() => validatePath('/a/')).toThrow("invalid ZooKeeper path '/a/'")
  })
  test('parents and prefixes', () => {
    expect([parentPath('/a/b'), parentPath('/a'), parentPath('/')]).toEqual(['/a', '/', '/'])
    expect(pathPrefixes('/a/b/c')).toEqual(['/a', '/a/b', '/a/b/c'])
    expect(pathPrefixes('/')).toEqual([])
  })
})

describe('watches', () => {
  test('events fire the kinds the Java client fires, once, and are then gone', () => {
    const reg = new WatchRegistry()
    const seen: string[] = []
    const w = (tag: string) => () => seen.push(tag)
    const data = w('data'), exist = w('exist'), child = w('child')
    reg.add('data', '/a', data)
    reg.add('data', '/a', data) // the same function twice fires once
    reg.add('exist', '/b', exist)
    reg.add('child', '/a', child)
    expect(reg.paths()).toEqual({ data: ['/a'], exist: ['/b'], child: ['/a'] })
    expect(reg.take({ type: 'NodeChildrenChanged', path: '/a' })).toEqual([child])
    expect(reg.take({ type: 'NodeCreated', path: '/b' })).toEqual([exist])
    reg.add('child', '/a', child)
    expect(reg.take({ type: 'NodeDeleted', path: '/a' })).toEqual([data, child])
    expect(reg.size).toBe(0)
    expect(reg.take({ type: 'NodeDataChanged', path: '/a' })).toEqual([])
  })
})

describe('group', () => {
  test('members are <label>_<sequence>; the leader is the lowest sequence with the label', () => {
    expect(parseMember('json.info_0000000007')).toEqual({ name: 'json.info_0000000007', label: 'json.info', sequence: 7 })
    expect(parseMember('0000000003')).toEqual({ name: '0000000003', sequence: 3 })
    expect(parseMember('log_replicas')).toBeUndefined()
    const children = ['json.info_0000000012', 'log_replicas', 'info_0000000001', 'json.info_0000000010', 'json.info_0000000011']
    expect(leaderOf(children, 'json.info')?.name).toBe('json.info_0000000010')
    expect(leaderOf(children)?.name).toBe('info_0000000001')
    expect(members(children, 'json.info').map(m => m.sequence)).toEqual([10, 11, 12])
    expect(leaderOf([], 'json.info')).toBeUndefined()
    expect(memberPrefix('/mesos', 'json.info')).toBe('/mesos/json.info_')
    expect(memberPrefix('/', 'json.info')).toBe('/json.info_')
  })
})

describe('liveness', () => {
  test('pings after T/3 of silence, gives the connection up after 2T/3, the session at 0.95 T after the last acked send', () => {
    const l = new Liveness(900)
    l.connected(0, 5, 900)
    expect(l.pingDue(299)).toBe(false)
    expect(l.pingDue(300)).toBe(true)
    l.pingSent(300)
    expect(l.pingDue(700)).toBe(false) // one ping at a time
    l.received(310)
    l.acked(undefined)
    expect(l.expiresAt()).toBe(1155)
    expect(l.readTimedOut(900)).toBe(false)
    expect(l.readTimedOut(910)).toBe(true)
    l.sent(950)
    l.acked(950)
    expect(l.expiresAt()).toBe(1805)
    expect(l.tickMs).toBe(150)
  })
})

describe('acl', () => {
  test('digest ids are user:base64(sha1(user:password)), as ZooKeeper computes them', () => {
    // DigestAuthenticationProvider.generateDigest("super:test"), a value quoted in ZooKeeper's admin guide.
    expect(digestId('super:test')).toBe('super:D/InIHSb7yEEbrWz8b9l71RjZJU=')
  })
})
