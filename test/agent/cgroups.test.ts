// The cgroup v1 and v2 code paths over fake cgroupfs trees (the GPU machine is pure v2; this one is v1 hybrid).

import { describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { detectHierarchy, hierarchy, parseCgroupMounts } from '../../src/agent/isolators/cgroups/hierarchy.ts'
import { CgroupV1Stats, CgroupV2Stats, statsReader } from '../../src/agent/isolators/cgroups/stats.ts'

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'fake-cgroupfs-'))
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true })
    writeFileSync(join(root, path), content)
  }
  return root
}

describe('hierarchy detection', () => {
  test('v2 when cgroup.controllers sits at the root', () => {
    const root = tree({ 'cgroup.controllers': 'cpu memory pids' })
    const h = detectHierarchy(root)
    expect(h.version).toBe('v2')
    expect(h.dir('memory', '/meso/c1')).toBe(join(root, 'meso/c1'))
  })
  test('v1 (and hybrid) from mountinfo, with separate cpu and cpuacct hierarchies', () => {
    const mountinfo = [
      '30 25 0:26 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu',
      '31 25 0:27 / /sys/fs/cgroup/cpuacct rw,relatime shared:10 - cgroup cgroup rw,cpuacct',
      '32 25 0:28 / /sys/fs/cgroup/memory rw,relatime shared:11 - cgroup cgroup rw,memory',
      '33 25 0:29 / /sys/fs/cgroup/unified rw,relatime shared:12 - cgroup2 cgroup2 rw',
      '34 25 0:30 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd',
    ].join('\n')
    const m = parseCgroupMounts(mountinfo)
    expect(m.v1.get('cpu')).toBe('/sys/fs/cgroup/cpu')
    expect(m.v1.get('cpuacct')).toBe('/sys/fs/cgroup/cpuacct')
    expect(m.v1.get('name=systemd')).toBe('/sys/fs/cgroup/systemd')
    expect(m.v2).toBe('/sys/fs/cgroup/unified')
    const root = tree({ 'unified/cgroup.controllers': '' })
    const info = join(root, 'mountinfo')
    writeFileSync(info, mountinfo)
    expect(detectHierarchy(root, info).version).toBe('v1')
  })
})

describe('statistics', () => {
  test('v1: cpuacct ticks, cpu.stat throttling, memory.stat, pids, OOM counter', () => {
    const cg = '/meso/c1'
    const root = tree({
      [`cpuacct${cg}/cpuacct.stat`]: 'user 250\nsystem 50\n',
      [`cpu${cg}/cpu.stat`]: 'nr_periods 10\nnr_throttled 3\nthrottled_time 1500000000\n',
      [`cpu${cg}/cpu.cfs_quota_us`]: '50000\n', [`cpu${cg}/cpu.cfs_period_us`]: '100000\n', [`cpu${cg}/cpu.shares`]: '512\n',
      [`memory${cg}/memory.stat`]: 'cache 100\nrss 2000\ntotal_cache 4096\ntotal_rss 8192\ntotal_active_anon 8000\ntotal_inactive_anon 192\ntotal_active_file 4000\ntotal_inactive_file 96\n',
      [`memory${cg}/memory.usage_in_bytes`]: '12288\n', [`memory${cg}/memory.limit_in_bytes`]: '33554432\n',
      [`memory${cg}/memory.max_usage_in_bytes`]: '33554432\n', [`memory${cg}/memory.oom_control`]: 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n',
      [`pids${cg}/pids.current`]: '7\n',
    })
    const h = hierarchy('v1', new Map(['cpu', 'cpuacct', 'memory', 'pids'].map(c => [c, join(root, c)])))
    const s = statsReader(h)
    expect(s).toBeInstanceOf(CgroupV1Stats)
    expect(s.read(cg)).toEqual({
      cpus_user_time_secs: 2.5, cpus_system_time_secs: 0.5, cpus_nr_periods: 10, cpus_nr_throttled: 3, cpus_throttled_time_secs: 1.5,
      cpus_limit: 0.5, mem_rss_bytes: 8192, mem_cache_bytes: 4096, mem_anon_bytes: 8192, mem_file_bytes: 4096, mem_total_bytes: 12288,
      mem_limit_bytes: 33554432, processes: 7,
    })
    expect(s.memoryPeak(cg)).toBe(33554432)
    expect(s.oomKills(cg)).toBe(2)
  })
  test('v2: cpu.stat in microseconds, cpu.max, memory.current/max/peak/events, pids', () => {
    const cg = '/meso/c2'
    const root = tree({
      [`${cg}/cpu.stat`]: 'usage_usec 3000000\nuser_usec 2000000\nsystem_usec 1000000\nnr_periods 20\nnr_throttled 5\nthrottled_usec 250000\n',
      [`${cg}/cpu.max`]: '25000 100000\n',
      [`${cg}/memory.stat`]: 'anon 1048576\nfile 524288\n',
      [`${cg}/memory.current`]: '1600000\n', [`${cg}/memory.max`]: '67108864\n', [`${cg}/memory.peak`]: '2000000\n',
      [`${cg}/memory.events`]: 'low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n',
      [`${cg}/pids.current`]: '3\n',
    })
    const s = statsReader(hierarchy('v2', new Map([['', root]])))
    expect(s).toBeInstanceOf(CgroupV2Stats)
    expect(s.read(cg)).toEqual({
      cpus_user_time_secs: 2, cpus_system_time_secs: 1, cpus_nr_periods: 20, cpus_nr_throttled: 5, cpus_throttled_time_secs: 0.25,
      cpus_limit: 0.25, mem_anon_bytes: 1048576, mem_file_bytes: 524288, mem_rss_bytes: 1048576, mem_cache_bytes: 524288,
      mem_total_bytes: 1600000, mem_limit_bytes: 67108864, processes: 3,
    })
    expect(s.memoryPeak(cg)).toBe(2000000)
    expect(s.oomKills(cg)).toBe(1)
  })
  test('v2 "max" limits and missing files are left out, not zeros', () => {
    const cg = '/meso/c3'
    const root = tree({ [`${cg}/cpu.max`]: 'max 100000\n', [`${cg}/memory.max`]: 'max\n' })
    expect(statsReader(hierarchy('v2', new Map([['', root]]))).read(cg)).toEqual({})
  })
})
