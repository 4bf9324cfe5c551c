import { Database } from 'bun:sqlite'
import { describe, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Registrar } from '../../src/master/registrar.ts'

const info = { hostname: 'a', resources: [] }

describe('registrar', () => {
  test('what is written is what a restarted master reads', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'meso-registrar-')), 'registry.db')
    const r = Registrar.open(path)
    r.write([
      { op: 'putSequence', name: 'framework', value: 3 },
      { op: 'putFramework', record: { id: 'F1', info: { user: 'u', name: 'n' }, registeredTime: 5 } },
      { op: 'putFramework', record: { id: 'F2', info: { user: 'u', name: 'm' }, registeredTime: 6 } },
      { op: 'removeFramework', id: 'F2' },
      { op: 'putAgent', record: { id: 'S1', info, pid: 'p', state: 'unreachable', unreachableTime: 7, deactivated: true } },
      { op: 'putWeights', weights: { dev: 2 } },
    ])
    r.close()
    expect(Registrar.open(path).snapshot()).toEqual({
      agents: [{ id: 'S1', info, pid: 'p', state: 'unreachable', unreachableTime: 7, deactivated: true }],
      frameworks: [{ id: 'F1', info: { user: 'u', name: 'n' }, registeredTime: 5 }],
      weights: { dev: 2 },
      sequences: { framework: 3 },
    })
  })

  test('batched writes are reported once durable', async () => {
    const r = Registrar.open(undefined)
    const done = new Promise<boolean>(resolve => r.batch([{ op: 'putAgent', record: { id: 'S1', info, pid: 'p', state: 'admitted' } }], resolve))
    expect(r.snapshot().agents).toHaveLength(0)
    expect(await done).toBe(true)
    expect(r.snapshot().agents.map(a => a.id)).toEqual(['S1'])
  })

  test('a registrar written before agents could stay deactivated opens, and its agents are active', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'meso-registrar-')), 'registry.db')
    const db = new Database(path)
    db.exec(`CREATE TABLE agents (id TEXT PRIMARY KEY, info TEXT NOT NULL, pid TEXT NOT NULL, state TEXT NOT NULL, unreachable_time REAL)`)
    db.run('INSERT INTO agents VALUES (?, ?, ?, ?, ?)', ['S1', JSON.stringify(info), 'p', 'admitted', null])
    db.close()
    expect(Registrar.open(path).snapshot().agents).toEqual([{ id: 'S1', info, pid: 'p', state: 'admitted' }])
  })
})
