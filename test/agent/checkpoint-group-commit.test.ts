// The agent checkpoint's group commit (src/agent/checkpoint.ts): one transaction, one fsync per event-loop turn;
// what depends on a write (a status update's forward) runs only once it is durable.

import { afterAll, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Checkpoint } from '../../src/agent/checkpoint.ts'
import { StatusUpdateManager } from '../../src/agent/status-update-manager.ts'
import type { StatusUpdate } from '../../src/core/agent-protocol.ts'

const dir = mkdtempSync(join(tmpdir(), 'meso-checkpoint-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** What another process (a restarted agent) would read from the file now. */
const committedFrameworks = (path: string) => {
  const db = new Database(path, { readonly: true })
  try { return (db.query('SELECT id FROM frameworks ORDER BY id').all() as { id: string }[]).map(r => r.id) } finally { db.close() }
}
const fw = (id: string) => ({ id: { value: id }, user: 'root', name: id })

test("a turn's writes commit together at the end of the turn; afterCommit waits for it", async () => {
  const path = join(dir, 'a.db')
  const cp = Checkpoint.open(path)
  const order: string[] = []
  cp.putFramework(fw('f1'))
  cp.putFramework(fw('f2'))
  cp.afterCommit(() => order.push('after'))
  // Still in the turn: the writes are visible to the agent itself, not yet on disk for anyone else.
  expect(cp.frameworks().map(f => f.id!.value).sort()).toEqual(['f1', 'f2'])
  expect(committedFrameworks(path)).toEqual([])
  expect(order).toEqual([])
  await new Promise(r => setImmediate(r))
  expect(committedFrameworks(path)).toEqual(['f1', 'f2'])
  expect(order).toEqual(['after'])
  // Nothing pending: afterCommit runs at once.
  cp.afterCommit(() => order.push('now'))
  expect(order).toEqual(['after', 'now'])
  cp.close()
})

test('transaction() inside a turn is all or nothing (a savepoint), and close() commits what is pending', async () => {
  const path = join(dir, 'b.db')
  const cp = Checkpoint.open(path)
  cp.putFramework(fw('kept'))
  expect(() => cp.transaction(() => { cp.putFramework(fw('dropped')); throw new Error('boom') })).toThrow('boom')
  cp.transaction(() => cp.putFramework(fw('inner')))
  cp.close()
  expect(committedFrameworks(path)).toEqual(['inner', 'kept'])
})

test('flush() makes the turn durable at once (before volume directories change)', () => {
  const path = join(dir, 'c.db')
  const cp = Checkpoint.open(path)
  cp.setTargetCheckpointedResources([])
  const db = new Database(path, { readonly: true })
  expect((db.query("SELECT value FROM meta WHERE key = 'checkpointed_resources_target'").get() as { value: string }).value).toBe('[]')
  db.close()
  cp.close()
})

test('a status update reaches the master only after it is checkpointed', async () => {
  const path = join(dir, 'd.db')
  const cp = Checkpoint.open(path)
  const sent: StatusUpdate[] = []
  const seenOnDisk: number[] = []
  const sum = new StatusUpdateManager(cp, u => {
    const db = new Database(path, { readonly: true })
    seenOnDisk.push((db.query('SELECT COUNT(*) AS n FROM updates').get() as { n: number }).n)
    db.close()
    sent.push(u)
    return true
  })
  sum.resume()
  sum.update('F', { task_id: { value: 't1' }, state: 'TASK_STARTING' } as any)
  sum.update('F', { task_id: { value: 't2' }, state: 'TASK_STARTING' } as any)
  expect(sent).toEqual([])
  await new Promise(r => setImmediate(r))
  expect(sent.map(u => u.status.task_id.value)).toEqual(['t1', 't2'])
  expect(seenOnDisk).toEqual([2, 2])
  sum.stop()
  cp.close()
})
