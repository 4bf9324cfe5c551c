import { expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Checkpoint } from '../../src/agent/checkpoint.ts'
import { SandboxGc } from '../../src/agent/sandbox-gc.ts'
import { openStore } from '../../src/core/store.ts'

test('sandboxes are removed after --gc_delay, oldest first, and reported', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gc-'))
  const a = join(dir, 'a'), b = join(dir, 'b')
  mkdirSync(a); mkdirSync(b)
  const removed: string[] = []
  const gc = new SandboxGc(new Checkpoint(openStore(':memory:')), dir, 1000, 0, 60_000, p => removed.push(p), () => 0)
  gc.schedule(a, 0)
  gc.schedule(b, 500)
  gc.collect(999)
  expect(existsSync(a)).toBe(true)
  gc.collect(1000)
  expect([existsSync(a), existsSync(b)]).toEqual([false, true])
  gc.collect(1500)
  expect(removed).toEqual([a, b])
  expect(gc.pending).toBe(0)
})

test('the allowed age shrinks with disk usage; past 1 - headroom everything goes now', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gc-'))
  const a = join(dir, 'a')
  mkdirSync(a)
  let usage = 0.5
  const gc = new SandboxGc(new Checkpoint(openStore(':memory:')), dir, 1000, 0.1, 60_000, () => {}, () => usage)
  gc.schedule(a, 0)
  gc.collect(350) // allowed age 1000 × (1 − 0.1 − 0.5) = 400 ms
  expect(existsSync(a)).toBe(true)
  gc.collect(400)
  expect(existsSync(a)).toBe(false)
  const b = join(dir, 'b')
  mkdirSync(b)
  gc.schedule(b, 1000)
  usage = 0.95
  gc.collect(1000)
  expect(existsSync(b)).toBe(false)
})
