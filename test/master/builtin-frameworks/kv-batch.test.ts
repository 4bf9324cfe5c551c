// The key-value area's batches (store.ts): every write of a batch, in any namespace of the area, goes to the
// registrar as one write when the outermost batch returns, the last write of a key winning; outside a batch each
// write goes at once. What a batch wrote is in the registrar (SQLite) when it returns, even when its function threw.

import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { KvArea } from '../../../src/master/builtin-frameworks/store.ts'
import type { RegistrarOp } from '../../../src/master/outbox.ts'
import { Registrar } from '../../../src/master/registrar.ts'
import { tempDir } from '../../helpers/processes.ts'

function recording() {
  const writes: RegistrarOp[][] = []
  const kv = new KvArea([], ops => { writes.push(ops) })
  return { kv, writes }
}

describe('key-value batches', () => {
  test('outside a batch every write is its own registrar write', () => {
    const { kv, writes } = recording()
    const a = kv.namespace('services')
    a.put('app/x', '1')
    a.put('app/y', '2')
    a.remove('app/x')
    expect(writes).toEqual([
      [{ op: 'putKv', namespace: 'services', key: 'app/x', value: '1' }],
      [{ op: 'putKv', namespace: 'services', key: 'app/y', value: '2' }],
      [{ op: 'removeKv', namespace: 'services', key: 'app/x' }],
    ])
  })

  test('a batch is one write for all namespaces of the area; nested batches join it; the last write of a key wins', () => {
    const { kv, writes } = recording()
    const services = kv.namespace('services')
    const framework = kv.namespace('services-framework')
    const result = services.batch(() => {
      services.put('instance/t1', 'STAGING')
      framework.put('framework-id', 'f1')
      framework.batch(() => { services.put('instance/t2', 'STAGING') })
      expect(writes).toEqual([])
      services.put('instance/t1', 'RUNNING')
      services.remove('instance/t2')
      // Reads see the batch's writes at once.
      expect(services.get('instance/t1')).toBe('RUNNING')
      return 7
    })
    expect(result).toBe(7)
    expect(writes).toEqual([[
      { op: 'putKv', namespace: 'services-framework', key: 'framework-id', value: 'f1' },
      { op: 'putKv', namespace: 'services', key: 'instance/t1', value: 'RUNNING' },
      { op: 'removeKv', namespace: 'services', key: 'instance/t2' },
    ]])
    services.put('after', 'x')
    expect(writes).toHaveLength(2)
  })

  test('a batch whose function throws still writes what it changed in memory', () => {
    const { kv, writes } = recording()
    const s = kv.namespace('jobs')
    expect(() => s.batch(() => { s.put('run/a', '1'); throw new Error('boom') })).toThrow('boom')
    expect(writes).toEqual([[{ op: 'putKv', namespace: 'jobs', key: 'run/a', value: '1' }]])
    expect(s.get('run/a')).toBe('1')
  })

  test('an asynchronous function is refused: its later writes could not be in the transaction', () => {
    const { kv } = recording()
    const s = kv.namespace('jobs')
    expect(() => s.batch(() => Promise.resolve())).toThrow('must be synchronous')
  })

  test('a batch is durable in SQLite when it returns (one transaction)', () => {
    const path = join(tempDir(), 'registry.db')
    const r1 = Registrar.open(path)
    const s = new KvArea([], ops => r1.write(ops)).namespace('services')
    s.batch(() => { for (let i = 0; i < 100; i++) s.put(`instance/t${i}`, String(i)) })
    // Read through a second connection: committed, not just queued.
    const r2 = Registrar.open(path)
    expect((r2.snapshot().kv ?? []).length).toBe(100)
    r2.close()
    r1.close()
  })
})
