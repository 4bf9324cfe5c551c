// Kills through a container's cgroup, as `crun kill --all` does (src/agent/containerizer/linux/cgroup-signal.ts),
// on a directory laid out like a cgroup (cgroup.procs, a nested container's cgroup below).

import { afterAll, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cgroupPids, containerCgroupDir, signalCgroup } from '../../src/agent/containerizer/linux/cgroup-signal.ts'
import { hierarchy } from '../../src/agent/isolators/cgroups/hierarchy.ts'

const dir = mkdtempSync(join(tmpdir(), 'meso-cgroup-signal-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

test('every process of the cgroup and of the cgroups below it gets the signal', async () => {
  const outer = Bun.spawn(['sleep', '30'])
  const inner = Bun.spawn(['sleep', '30'])
  const cg = join(dir, 'meso', 'c1')
  mkdirSync(join(cg, 'nested'), { recursive: true })
  writeFileSync(join(cg, 'cgroup.procs'), `${outer.pid}\n`)
  writeFileSync(join(cg, 'nested', 'cgroup.procs'), `${inner.pid}\n`)
  expect(cgroupPids(cg)!.sort()).toEqual([outer.pid, inner.pid].sort())
  expect(signalCgroup(cg, 'SIGTERM')).toBe(true)
  expect(await outer.exited).toBe(143)
  expect(await inner.exited).toBe(143)
  // Processes already gone are skipped, not an error.
  expect(signalCgroup(cg, 'SIGKILL')).toBe(true)
})

test('an unreadable cgroup says so, for the caller to ask the runtime instead', () => {
  expect(cgroupPids(join(dir, 'missing'))).toBeUndefined()
  expect(signalCgroup(join(dir, 'missing'), 'SIGTERM')).toBe(false)
})

test('which hierarchy lists the processes: v2 the unified one, v1 pids, else memory', () => {
  expect(containerCgroupDir(hierarchy('v2', new Map([['', '/sys/fs/cgroup']])), '/meso/c1')).toBe('/sys/fs/cgroup/meso/c1')
  expect(containerCgroupDir(hierarchy('v1', new Map([['pids', '/sys/fs/cgroup/pids'], ['memory', '/sys/fs/cgroup/memory']])), '/meso/c1')).toBe('/sys/fs/cgroup/pids/meso/c1')
  expect(containerCgroupDir(hierarchy('v1', new Map([['memory', '/sys/fs/cgroup/memory']])), '/meso/c1')).toBe('/sys/fs/cgroup/memory/meso/c1')
  expect(containerCgroupDir(hierarchy('v1', new Map()), '/meso/c1')).toBeUndefined()
})
