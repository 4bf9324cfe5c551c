// What each isolator contributes to a container's OCI spec.

import { describe, expect, test } from 'bun:test'
import { release } from 'node:os'
import { baseSpec, hostRootLayout, readOnlyBindOption, serializeSpec } from '../../src/agent/containerizer/oci-spec.ts'
import { createIsolators, DEFAULT_LINUX_ISOLATION, isolatorNames, isolatorSetup } from '../../src/agent/isolators/index.ts'
import { IsolationError } from '../../src/agent/isolators/isolator.ts'
import { capabilitiesFromMask, linuxCapabilities } from '../../src/agent/isolators/linux-capabilities.ts'
import { agentHardLimits } from '../../src/agent/isolators/posix-rlimits.ts'
import { parseRlimitArg } from '../../src/core/rlimits.ts'
import { agentFlags, isolationContext, res } from '../helpers/isolation.ts'

const spec = () => baseSpec({
  argv: ['true'], env: { A: 'b' }, cwd: '/mnt/mesos/sandbox', uid: 0, gid: 0, cgroupsPath: '/meso/c', rootfs: '/b/rootfs',
  rootMounts: [], sandbox: { host: '/h/sandbox', container: '/mnt/mesos/sandbox' }, terminal: false, capabilities: ['CAP_KILL'], ownNetwork: false,
})
const ctx = (over: Parameters<typeof isolationContext>[0] = {}) => isolationContext({ flags: { container_pids_limit: 100 }, ...over })
/** The spec parts of the isolators `flag` selects, as the containerizer has the linux launcher apply them. */
const apply = async (flag: string, c = ctx()) => {
  const s = spec()
  const isolators = await createIsolators(isolatorSetup({ flags: agentFlags({ isolation: flag }), launcher: 'linux', runtimeDir: '/run/meso', offer: { resources: res('cpus:1'), attributes: [] } }))
  for (const i of isolators) i.isolate?.(s, c)
  return s
}

describe('isolators', () => {
  test('cgroups: shares, CFS quota when enabled, memory with swap off, pids', async () => {
    const s = await apply('cgroups/cpu,cgroups/mem,cgroups/pids', ctx({ flags: { cgroups_enable_cfs: true, container_pids_limit: 100 } }))
    expect(s.linux.resources).toEqual({ cpu: { shares: 512, period: 100000, quota: 50000 }, memory: { limit: 64 << 20, swap: 64 << 20 }, pids: { limit: 100 } })
    expect((await apply('cgroups/cpu')).linux.resources).toEqual({ cpu: { shares: 512 } })
    expect((await apply('cgroups/mem', ctx({ resources: res('mem:8') }))).linux.resources!.memory!.limit).toBe(32 << 20)
  })
  test('nested containers share the parent cgroup limits and join its namespaces', async () => {
    const s = await apply('cgroups/cpu,cgroups/mem,namespaces/pid', ctx({ parent: { containerId: 'p', pid: 42 } }))
    expect(s.linux.resources).toBeUndefined()
    expect(s.linux.namespaces).toContainEqual({ type: 'pid', path: '/proc/42/ns/pid' })
  })
  test('filesystem/linux: host and sandbox volumes, RO and RW; escapes refused', async () => {
    const s = await apply('filesystem/linux', ctx({ container: { type: 'MESOS', volumes: [
      { mode: 'RO', container_path: '/data', host_path: '/srv/data' },
      { mode: 'RW', container_path: 'cache', source: { type: 'SANDBOX_PATH', sandbox_path: { type: 'SELF', path: 'c' } } },
    ] } }))
    expect(s.mounts.slice(-2)).toEqual([
      { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', readOnlyBindOption(release())] },
      { destination: '/mnt/mesos/sandbox/cache', type: 'bind', source: '/h/sandbox/c', options: ['rbind', 'rw'] },
    ])
    await expect(apply('filesystem/linux', ctx({ container: { type: 'MESOS', volumes: [{ mode: 'RW', container_path: 'x', source: { sandbox_path: { path: '../../etc' } } }] } }))).rejects.toThrow(IsolationError)
  })
  test('posix/rlimits: values, "unlimited" written as 2^64-1', async () => {
    const s = await apply('posix/rlimits', ctx({ container: { type: 'MESOS', rlimit_info: { rlimits: [{ type: 'RLMT_CORE', soft: 0, hard: 0 }, { type: 'RLMT_STACK' }] } } }))
    const json = serializeSpec(s)
    expect(json).toContain('{"type":"RLIMIT_CORE","soft":0,"hard":0}')
    // STACK unlimited is only allowed when the agent may grant it; either way it is never written as a float.
    expect(json).not.toContain('18446744073709552000')
  })
  test('the agent hard limits parser', () => {
    const limits = agentHardLimits('Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 20000                files\nMax stack size            8388608              unlimited            bytes\n')
    expect(limits).toEqual({ RLIMIT_NOFILE: 20000, RLIMIT_STACK: Infinity })
  })
  test('linux/capabilities: Docker defaults, explicit sets, bounding must contain effective', () => {
    const s = spec()
    linuxCapabilities.isolate!(s, ctx({ container: { type: 'MESOS', linux_info: { effective_capabilities: { capabilities: ['NET_BIND_SERVICE'] } } } }))
    expect(s.process.capabilities!.effective).toEqual(['CAP_NET_BIND_SERVICE'])
    expect(() => linuxCapabilities.isolate!(spec(), ctx({ container: { type: 'MESOS', linux_info: { effective_capabilities: { capabilities: ['BOGUS'] } } } }))).toThrow('Unknown capability')
    expect(capabilitiesFromMask('0000000000000021')).toEqual(['CAP_CHOWN', 'CAP_KILL'])
  })
  test('--isolation parsing: the one table, in its order; implied and accepted names', async () => {
    const linux = (isolation?: string, more: Record<string, string> = {}) => isolatorNames({ isolation, ...more }, 'linux')
    expect(linux(undefined)).toEqual(['cgroups/cpu', 'cgroups/mem', 'cgroups/pids', 'namespaces/pid', 'filesystem/linux', 'posix/rlimits', 'linux/capabilities', 'linux/seccomp'])
    expect(linux(DEFAULT_LINUX_ISOLATION)).toEqual(linux(undefined))
    expect(linux('posix/cpu,posix/mem')).toEqual(['filesystem/linux', 'linux/capabilities'])
    expect(linux('gpu/nvidia,cgroups/mem,network/cni')).toEqual(['cgroups/mem', 'filesystem/linux', 'linux/capabilities', 'network/cni', 'gpu/nvidia'])
    expect(linux('cgroups/cpu', { network_cni_plugins_dir: '/p', network_cni_config_dir: '/c' })).toEqual(['cgroups/cpu', 'filesystem/linux', 'linux/capabilities', 'network/cni'])
    expect(isolatorNames({}, 'posix')).toEqual([])
    expect(() => linux('cgroups/nope')).toThrow("unknown isolator 'cgroups/nope'")
    // The posix launcher keeps only isolators that need no OCI spec, after its process-tree usage.
    const posix = await createIsolators(isolatorSetup({ flags: agentFlags({ isolation: 'cgroups/cpu,posix/rlimits' }), launcher: 'posix', runtimeDir: '/r', offer: { resources: res('cpus:1'), attributes: [] } }))
    expect(posix.map(i => i.name)).toEqual(['posix/cpu,posix/mem', 'linux-info-check', 'volume/persistent', 'volume/secret'])
    await expect(createIsolators(isolatorSetup({ flags: agentFlags({ nvidia_gpu_devices: '0' }), launcher: 'linux', runtimeDir: '/r', offer: { resources: res('cpus:1'), attributes: [] } })))
      .rejects.toThrow("only be specified if the '--isolation' flag contains 'gpu/nvidia'")
  })
  test('host root layout: directories bound read-only, symlinks kept, fresh dirs skipped', () => {
    const l = hostRootLayout([{ name: 'usr', kind: 'dir' }, { name: 'bin', kind: 'symlink', target: 'usr/bin' }, { name: 'proc', kind: 'dir' }, { name: 'tmp', kind: 'dir' }, { name: '.dockerenv', kind: 'other' }])
    expect(l.mounts).toEqual([{ destination: '/usr', type: 'bind', source: '/usr', options: ['rbind', 'ro', 'nosuid', 'nodev'] }])
    expect(l.symlinks).toEqual([{ name: 'bin', target: 'usr/bin' }])
  })
  test('--rlimit CLI syntax', () => {
    expect(parseRlimitArg('NOFILE=1024:4096')).toEqual({ type: 'RLMT_NOFILE', soft: 1024, hard: 4096 })
    expect(parseRlimitArg('rlimit_core=0')).toEqual({ type: 'RLMT_CORE', soft: 0, hard: 0 })
    expect(parseRlimitArg('STACK=unlimited')).toEqual({ type: 'RLMT_STACK' })
    expect(() => parseRlimitArg('NOFILE=10:unlimited')).toThrow('cannot express')
    expect(() => parseRlimitArg('FOO=1')).toThrow('unknown rlimit')
  })
})
