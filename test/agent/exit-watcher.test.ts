// The linux launcher's one watcher of conmon's exit files (src/agent/containerizer/linux/exit-watcher.ts).

import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ExitWatcher } from '../../src/agent/containerizer/linux/exit-watcher.ts'

const dirs: string[] = []
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'meso-exit-watcher-')); dirs.push(d); return d }
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

test('each waiter resolves when its own file appears; the others keep waiting', async () => {
  const dir = tmp()
  const w = new ExitWatcher(dir, 1000)
  const results: string[] = []
  const waits = ['a', 'b', 'c'].map(id => w.wait(id, () => true).then(r => { results.push(`${id}:${r}`); return r }))
  expect(w.size).toBe(3)
  writeFileSync(join(dir, 'b'), '0')
  expect(await waits[1]).toBe('exists')
  expect(results).toEqual(['b:exists'])
  expect(w.size).toBe(2)
  writeFileSync(join(dir, 'a'), '0')
  writeFileSync(join(dir, 'c'), '137')
  expect(await Promise.all(waits)).toEqual(['exists', 'exists', 'exists'])
  // Nothing left to wait for: no watch, no timer.
  expect(w.size).toBe(0)
  w.close()
})

test('a file written before the wait is found at once; two waiters of one file both resolve', async () => {
  const dir = tmp()
  writeFileSync(join(dir, 'x'), '0')
  const w = new ExitWatcher(dir)
  expect(await Promise.all([w.wait('x', () => true), w.wait('x', () => true)])).toEqual(['exists', 'exists'])
  w.close()
})

test("'gone' when the writer is dead and the file never came, checked on the liveness ticks", async () => {
  const dir = tmp()
  const w = new ExitWatcher(dir, 20, 2)
  let alive = true
  const r = w.wait('y', () => alive)
  await Bun.sleep(60)
  expect(w.size).toBe(1)
  alive = false
  expect(await r).toBe('gone')
  // Dead from the start: no need to wait for a tick.
  expect(await w.wait('z', () => false)).toBe('gone')
  w.close()
})

test('the directory listing on each tick finds a file the watch missed (e.g. a watcher that could not start)', async () => {
  const dir = tmp()
  const w = new ExitWatcher(join(dir, 'not-yet'), 20)
  const r = w.wait('q', () => true)
  // The directory did not exist when the wait began, so there is no inotify watch: only the listing can find it.
  const { mkdirSync } = await import('node:fs')
  mkdirSync(join(dir, 'not-yet'))
  writeFileSync(join(dir, 'not-yet', 'q'), '0')
  expect(await r).toBe('exists')
  w.close()
})
