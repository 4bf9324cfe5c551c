// The secure task defaults (docs/security-tasks.md) as they land in a container's OCI spec: capabilities, no new
// privileges, masked and read-only paths, recursive read-only binds, the seccomp profile; each LinuxInfo opt-in, the
// agent's flags, and what the authorizer is told a task asks for. Pure: no containers (test/e2e/task-security.test.ts
// runs real ones).

import { describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { release, tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildSpec } from '../../src/agent/containerizer/linux/spec-builder.ts'
import { baseSpec, hostRootLayout, MASKED_PATHS, readOnlyBindOption, READONLY_PATHS, type OciSpec } from '../../src/agent/containerizer/oci-spec.ts'
import { createIsolators, isolatorNames, isolatorSetup } from '../../src/agent/isolators/index.ts'
import { IsolationError } from '../../src/agent/isolators/isolator.ts'
import { capabilityPolicy, containerCapabilities, createLinuxCapabilities, defaultCapabilities } from '../../src/agent/isolators/linux-capabilities.ts'
import { createLinuxSeccomp, type SeccompHost } from '../../src/agent/isolators/linux-seccomp.ts'
import { bpfAnnotation, compileBpf } from '../../src/agent/isolators/seccomp/bpf.ts'
import { DEFAULT_PROFILE, kernelAtLeast, ociSeccomp, parseProfile, SeccompProfileError, type OciSeccomp } from '../../src/agent/isolators/seccomp/profile.ts'
import { CAP_NAMES, DEFAULT_CAPABILITIES, linuxSecurityInfo, parseCapabilitiesFlag, taskSecurityRequest } from '../../src/agent/isolators/task-security.ts'
import type { ContainerInfo } from '../../src/core/v1/messages.ts'
import { agentFlags, isolationContext, res } from '../helpers/isolation.ts'

const ALL = CAP_NAMES.map(c => `CAP_${c}`)
const spec = (over: Partial<Parameters<typeof baseSpec>[0]> = {}) => baseSpec({
  argv: ['true'], env: {}, cwd: '/mnt/mesos/sandbox', uid: 0, gid: 0, cgroupsPath: '/meso/c', rootfs: '/b/rootfs',
  rootMounts: [], sandbox: { host: '/h/sandbox', container: '/mnt/mesos/sandbox' }, terminal: false, capabilities: defaultCapabilities(ALL), ownNetwork: false, ...over,
})
const linux = (li: NonNullable<ContainerInfo['linux_info']>): ContainerInfo => ({ type: 'MESOS', linux_info: li })
const caps = (...names: string[]) => ({ capabilities: names })
const host = (over: Partial<SeccompHost> = {}): SeccompHost => ({
  arch: 'x64', kernel: '6.18.44', status: () => 'Name:\tx\nSeccomp:\t0\n', precompile: () => undefined, read: p => { throw new Error(`ENOENT: no such file, open '${p}'`) }, ...over,
})
/** Every syscall a spec's filter allows unconditionally (no argument checks). */
const allowed = (s: OciSeccomp) => new Set(s.syscalls.filter(r => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap(r => r.names))

describe('the base spec', () => {
  test('no new privileges; masked and read-only /proc and /sys paths as OCI runtimes; /proc nosuid,noexec,nodev', () => {
    const s = spec()
    expect(s.process.noNewPrivileges).toBe(true)
    expect(s.linux.maskedPaths).toEqual([...MASKED_PATHS])
    for (const p of ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/sys/firmware', '/proc/scsi', '/proc/acpi', '/proc/asound', '/proc/interrupts']) expect(s.linux.maskedPaths).toContain(p)
    expect(s.linux.readonlyPaths).toEqual(['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'])
    expect(READONLY_PATHS).toEqual(s.linux.readonlyPaths!)
    expect(s.mounts.find(m => m.destination === '/proc')!.options).toEqual(['nosuid', 'noexec', 'nodev'])
    expect(s.root.readonly).toBe(true)
  })
  test('host directories and the host /sys are bound recursively read-only where the kernel can (5.12+)', () => {
    expect(readOnlyBindOption('6.18.44-fc-v1300')).toBe('rro')
    expect(readOnlyBindOption('5.12.0')).toBe('rro')
    expect(readOnlyBindOption('5.11.22-generic')).toBe('ro')
    expect(readOnlyBindOption('4.19.0')).toBe('ro')
    const { mounts } = hostRootLayout([{ name: 'usr', kind: 'dir' }, { name: 'proc', kind: 'dir' }, { name: 'bin', kind: 'symlink', target: 'usr/bin' }], 'rro')
    expect(mounts).toEqual([{ destination: '/usr', type: 'bind', source: '/usr', options: ['rbind', 'rro', 'nosuid', 'nodev'] }])
    expect(hostRootLayout([{ name: 'etc', kind: 'dir' }]).mounts[0]!.options).toContain('ro')
    expect(spec({ readOnly: 'rro' }).mounts.find(m => m.destination === '/sys')!.options).toContain('rro')
    expect(spec({ ownNetwork: true }).mounts.find(m => m.destination === '/sys')).toMatchObject({ type: 'sysfs', options: expect.arrayContaining(['ro']) })
  })
})

describe('linux/capabilities', () => {
  test("the default: Docker's 14 less NET_RAW, nothing ambient (non-root users end up with none), never more than the agent holds", () => {
    expect(DEFAULT_CAPABILITIES).toHaveLength(13)
    expect(DEFAULT_CAPABILITIES).not.toContain('CAP_NET_RAW')
    expect(DEFAULT_CAPABILITIES).not.toContain('CAP_SYS_ADMIN')
    const c = containerCapabilities({}, {}, ALL)
    expect(c).toEqual({ bounding: [...DEFAULT_CAPABILITIES], effective: [...DEFAULT_CAPABILITIES], permitted: [...DEFAULT_CAPABILITIES], inheritable: [], ambient: [] })
    expect(containerCapabilities({}, {}, ['CAP_KILL', 'CAP_SYS_ADMIN']).bounding).toEqual(['CAP_KILL'])
  })
  test("a task's effective set is its bounding set too, ambient and inheritable (Mesos' launch.cpp)", () => {
    const s = spec()
    createLinuxCapabilities({}).isolate!(s, isolationContext({ container: linux({ effective_capabilities: caps('SYS_ADMIN', 'CAP_CHOWN') }) }))
    const want = ['CAP_SYS_ADMIN', 'CAP_CHOWN']
    expect(s.process.capabilities).toEqual({ bounding: want, effective: want, permitted: want, inheritable: want, ambient: want })
  })
  test('the deprecated capability_info is the effective set; with effective_capabilities too it is refused', () => {
    expect(linuxSecurityInfo(linux({ capability_info: caps('NET_ADMIN') })).effective).toEqual(['CAP_NET_ADMIN'])
    expect(() => linuxSecurityInfo(linux({ capability_info: caps('NET_ADMIN'), effective_capabilities: caps('NET_ADMIN') }))).toThrow("only one of 'capability_info' or 'effective_capabilities'")
  })
  test('bounding only: effective = bounding; effective outside bounding, unknown names, capabilities the agent lacks are refused', () => {
    const b = containerCapabilities(linuxSecurityInfo(linux({ bounding_capabilities: caps('KILL', 'NET_RAW') })), {}, ALL)
    expect(b).toMatchObject({ bounding: ['CAP_KILL', 'CAP_NET_RAW'], effective: ['CAP_KILL', 'CAP_NET_RAW'], ambient: [] })
    const both = containerCapabilities(linuxSecurityInfo(linux({ effective_capabilities: caps('KILL'), bounding_capabilities: caps('KILL', 'SYS_PTRACE') })), {}, ALL)
    expect(both).toMatchObject({ bounding: ['CAP_KILL', 'CAP_SYS_PTRACE'], effective: ['CAP_KILL'], ambient: ['CAP_KILL'] })
    expect(() => linuxSecurityInfo(linux({ effective_capabilities: caps('SYS_ADMIN'), bounding_capabilities: caps('KILL') }))).toThrow('CAP_SYS_ADMIN are not in the bounding set')
    const iso = createLinuxCapabilities({})
    expect(() => iso.isolate!(spec(), isolationContext({ container: linux({ effective_capabilities: caps('BOGUS') }) }))).toThrow(IsolationError)
    expect(() => iso.isolate!(spec(), isolationContext({ container: linux({ effective_capabilities: caps('BOGUS') }) }))).toThrow("Unknown capability 'BOGUS' in effective_capabilities")
    expect(() => containerCapabilities({ effective: ['CAP_SYS_RESOURCE'] }, {}, ['CAP_KILL'])).toThrow('The agent does not hold CAP_SYS_RESOURCE')
  })
  test('--effective_capabilities is the default; --bounding_capabilities caps what tasks may ask for (Mesos 1.8)', () => {
    expect(parseCapabilitiesFlag('{"capabilities":["NET_RAW","CAP_KILL"]}', 'x')).toEqual(['CAP_NET_RAW', 'CAP_KILL'])
    expect(parseCapabilitiesFlag('NET_RAW, KILL', 'x')).toEqual(['CAP_NET_RAW', 'CAP_KILL'])
    expect(() => parseCapabilitiesFlag('NOPE', 'bounding_capabilities')).toThrow("Unknown capability 'NOPE' in --bounding_capabilities")
    expect(() => capabilityPolicy({ effective_capabilities: 'SYS_ADMIN', bounding_capabilities: 'KILL' })).toThrow('not in --bounding_capabilities')
    const policy = capabilityPolicy({ effective_capabilities: 'KILL,NET_RAW', bounding_capabilities: 'KILL,NET_RAW,NET_ADMIN' })
    expect(containerCapabilities({}, policy, ALL)).toMatchObject({ bounding: ['CAP_KILL', 'CAP_NET_RAW', 'CAP_NET_ADMIN'], effective: ['CAP_KILL', 'CAP_NET_RAW'] })
    expect(containerCapabilities({ effective: ['CAP_NET_ADMIN'] }, policy, ALL)).toMatchObject({ bounding: ['CAP_KILL', 'CAP_NET_RAW', 'CAP_NET_ADMIN'], effective: ['CAP_NET_ADMIN'] })
    expect(() => containerCapabilities({ effective: ['CAP_SYS_ADMIN'] }, policy, ALL)).toThrow('not in the bounding set')
    expect(() => containerCapabilities({ bounding: ['CAP_SYS_ADMIN'] }, policy, ALL)).toThrow('Bounding capabilities CAP_SYS_ADMIN are not allowed on this agent')
  })
})

describe('the seccomp profile', () => {
  const x64 = { arch: 'x64', kernel: '6.18.44' }
  test("the built-in default is Docker's: ERRNO(EPERM) by default, its x86 architectures, 32 rules", () => {
    expect(DEFAULT_PROFILE).toMatchObject({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1 })
    expect(DEFAULT_PROFILE.syscalls).toHaveLength(32)
    const s = ociSeccomp(DEFAULT_PROFILE, DEFAULT_CAPABILITIES, x64)
    expect(s.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'])
    expect(s.defaultErrnoRet).toBe(1)
    expect(s.syscalls[0]!.names).toHaveLength(361)
    expect(allowed(s).has('arch_prctl')).toBe(true)
    expect(allowed(ociSeccomp(DEFAULT_PROFILE, DEFAULT_CAPABILITIES, { arch: 'arm64', kernel: '6.1' })).has('arch_prctl')).toBe(false)
  })
  test('with the default capabilities: no mount, module loading, ptrace, namespaces, kexec or reboot; clone3 is ENOSYS', () => {
    const s = ociSeccomp(DEFAULT_PROFILE, DEFAULT_CAPABILITIES, x64)
    const ok = allowed(s)
    for (const name of ['mount', 'umount2', 'init_module', 'finit_module', 'delete_module', 'ptrace', 'process_vm_readv', 'unshare', 'setns', 'kexec_load', 'reboot', 'bpf', 'perf_event_open', 'open_by_handle_at', 'swapon']) expect(ok.has(name)).toBe(false)
    for (const name of ['read', 'execve', 'socketcall', 'chroot', 'kill', 'setuid']) expect(ok.has(name)).toBe(true)
    expect(s.syscalls).toContainEqual({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 })
    // clone only without namespace flags.
    expect(s.syscalls).toContainEqual({ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }] })
  })
  test('rules follow the bounding set: SYS_ADMIN allows mount and namespaces, SYS_PTRACE ptrace, SYS_MODULE modules', () => {
    expect(allowed(ociSeccomp(DEFAULT_PROFILE, [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], x64))).toContain('mount')
    expect(allowed(ociSeccomp(DEFAULT_PROFILE, [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], x64))).toContain('unshare')
    expect(ociSeccomp(DEFAULT_PROFILE, ['CAP_SYS_ADMIN'], x64).syscalls.some(r => r.action === 'SCMP_ACT_ERRNO')).toBe(false)
    expect(allowed(ociSeccomp(DEFAULT_PROFILE, ['CAP_SYS_PTRACE'], x64))).toContain('ptrace')
    expect(allowed(ociSeccomp(DEFAULT_PROFILE, ['CAP_SYS_MODULE'], x64))).toContain('finit_module')
  })
  test('minKernel, excludes and architectures lists; profile errors name the field', () => {
    const p = parseProfile({
      defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1, architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [
        { names: ['new'], action: 'SCMP_ACT_ERRNO', includes: { minKernel: '6.20' } },
        { names: ['old'], action: 'SCMP_ACT_ERRNO', excludes: { minKernel: '5.0' } },
        { name: 'one', action: 'SCMP_ACT_KILL', args: null },
        { names: ['x'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 1, value: 2, valueTwo: 0, op: 'SCMP_CMP_EQ' }], excludes: { arches: ['arm64'] } },
      ],
    })
    expect(ociSeccomp(p, [], x64)).toEqual({
      defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['one'], action: 'SCMP_ACT_KILL' }, { names: ['x'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 1, value: 2, op: 'SCMP_CMP_EQ' }] }],
    })
    expect(ociSeccomp(p, [], { arch: 'x64', kernel: '4.9' }).syscalls.map(r => r.names[0])).toEqual(['old', 'one', 'x'])
    expect(kernelAtLeast('4.8', '4.8')).toBe(true)
    expect(kernelAtLeast('4.10.1', '4.8')).toBe(true)
    expect(kernelAtLeast('4.7.99', '4.8')).toBe(false)
    const bad = (syscalls: unknown[], defaultAction = 'SCMP_ACT_ERRNO') => () => parseProfile({ defaultAction, syscalls })
    expect(bad([], 'SCMP_ACT_MAYBE')).toThrow('defaultAction: unknown action "SCMP_ACT_MAYBE"')
    expect(bad([{ names: [], action: 'SCMP_ACT_ALLOW' }])).toThrow("syscalls[0]: syscall 'names' list is empty")
    expect(bad([{ names: ['a'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_LIKE' }] }])).toThrow('syscalls[0].args[0]: unknown op')
    expect(bad([{ names: ['a'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_MAGIC'] } }])).toThrow("syscalls[0].includes.caps: unknown capability 'CAP_MAGIC'")
    expect(() => parseProfile([])).toThrow(SeccompProfileError)
    expect(() => ociSeccomp(p, [], { arch: 'sparc', kernel: '6.1' })).toThrow("not supported on architecture 'sparc'")
  })
})

describe('linux/seccomp', () => {
  const dir = '/etc/meso/seccomp'
  const files: Record<string, string> = {
    [`${dir}/strict.json`]: JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read', 'write', 'exit'], action: 'SCMP_ACT_ALLOW' }] }),
    [`${dir}/broken.json`]: '{"defaultAction": ',
  }
  const fs = host({ read: p => { const f = files[p]; if (f === undefined) throw new Error(`ENOENT: no such file, open '${p}'`); return f } })
  const isolate = (flags: Parameters<typeof createLinuxSeccomp>[0], container?: ContainerInfo, s: OciSpec = spec()) => {
    createLinuxSeccomp(flags, fs).isolate!(s, isolationContext({ container }))
    return s
  }
  test("every container gets the default profile for its bounding set; `unconfined` turns it off", () => {
    const s = isolate({})
    expect(s.linux.seccomp).toEqual(ociSeccomp(DEFAULT_PROFILE, s.process.capabilities!.bounding, fs))
    const admin = spec()
    admin.process.capabilities!.bounding = ['CAP_SYS_ADMIN']
    expect(allowed(isolate({}, undefined, admin).linux.seccomp!)).toContain('mount')
    expect(isolate({}, linux({ seccomp: { unconfined: true } })).linux.seccomp).toBeUndefined()
  })
  test('profile_name reads --seccomp_config_dir; --seccomp_profile_name is the default; errors name the file', () => {
    expect(isolate({ seccomp_config_dir: dir }, linux({ seccomp: { profile_name: 'strict.json' } })).linux.seccomp).toEqual({
      defaultAction: 'SCMP_ACT_ERRNO', architectures: [], syscalls: [{ names: ['read', 'write', 'exit'], action: 'SCMP_ACT_ALLOW' }],
    })
    expect(isolate({ seccomp_config_dir: dir, seccomp_profile_name: 'strict.json' }).linux.seccomp!.syscalls).toHaveLength(1)
    expect(() => isolate({ seccomp_config_dir: dir }, linux({ seccomp: { profile_name: 'nope.json' } }))).toThrow(`Failed to read seccomp profile '${dir}/nope.json'`)
    expect(() => isolate({ seccomp_config_dir: dir }, linux({ seccomp: { profile_name: 'broken.json' } }))).toThrow(`Failed to parse seccomp profile '${dir}/broken.json'`)
    expect(() => isolate({}, linux({ seccomp: { profile_name: 'strict.json' } }))).toThrow('this agent has no --seccomp_config_dir')
    expect(() => isolate({ seccomp_config_dir: dir }, linux({ seccomp: { profile_name: '../../etc/x' } }))).toThrow("must be a file name in the agent's --seccomp_config_dir")
    expect(() => isolate({}, linux({ seccomp: { unconfined: true, profile_name: 'strict.json' } }))).toThrow("'profile_name' given even though 'unconfined' is set")
    expect(() => isolate({}, linux({ seccomp: {} }))).toThrow(IsolationError)
  })
  test("the filter also reaches crun precompiled (run.oci.seccomp_bpf_data); `unconfined` drops it", () => {
    const withBpf = host({ precompile: f => `bpf:${f.syscalls.length}` })
    const s = spec()
    createLinuxSeccomp({}, withBpf).isolate!(s, isolationContext())
    expect(s.annotations).toEqual({ 'run.oci.seccomp_bpf_data': `bpf:${s.linux.seccomp!.syscalls.length}` })
    createLinuxSeccomp({}, withBpf).isolate!(s, isolationContext({ container: linux({ seccomp: { unconfined: true } }) }))
    expect(s.annotations).toEqual({})
    expect(s.linux.seccomp).toBeUndefined()
  })
  test('the precompiled filter: a BPF program (8-byte instructions), compiled once per distinct filter', () => {
    const f = ociSeccomp(DEFAULT_PROFILE, DEFAULT_CAPABILITIES, { arch: process.arch, kernel: '6.1' })
    const bpf = compileBpf(f)
    expect(bpf.length % 8).toBe(0)
    expect(bpf.length).toBeGreaterThan(8 * 100)
    const first = bpfAnnotation(f)
    expect(first).toBe(bpf.toString('base64'))
    const t = performance.now()
    expect(bpfAnnotation(structuredClone(f))).toBe(first!)
    expect(performance.now() - t).toBeLessThan(5)
    expect(compileBpf({ ...f, syscalls: [] }).length).toBeLessThan(bpf.length)
  })
  test('agent start fails for a missing or bad default profile, or a kernel without seccomp', () => {
    expect(() => createLinuxSeccomp({ seccomp_profile_name: 'strict.json' }, fs)).toThrow('--seccomp_profile_name needs --seccomp_config_dir')
    expect(() => createLinuxSeccomp({ seccomp_config_dir: dir, seccomp_profile_name: 'broken.json' }, fs)).toThrow('Failed to parse seccomp profile')
    expect(() => createLinuxSeccomp({}, host({ status: () => 'Name:\tx\n' }))).toThrow('this kernel has no seccomp support')
  })
})

describe('the isolators the agent runs', () => {
  const setup = (launcher: 'linux' | 'posix', isolation?: string) => isolatorSetup({ flags: agentFlags({ isolation }), launcher, runtimeDir: '/r', offer: { resources: res('cpus:1'), attributes: [] } })
  const asking = (li: NonNullable<ContainerInfo['linux_info']>) => isolationContext({ container: linux(li) })
  test('the default --isolation has linux/capabilities and linux/seccomp; the linux launcher always sets capabilities', () => {
    expect(isolatorNames({}, 'linux')).toEqual(['cgroups/cpu', 'cgroups/mem', 'cgroups/pids', 'namespaces/pid', 'filesystem/linux', 'posix/rlimits', 'linux/capabilities', 'linux/seccomp'])
    expect(isolatorNames({ isolation: 'cgroups/mem' }, 'linux')).toEqual(['cgroups/mem', 'filesystem/linux', 'linux/capabilities'])
  })
  test('posix launcher: a task asking for capabilities or seccomp settings fails its launch, naming the launcher', async () => {
    const isolators = await createIsolators(setup('posix', 'linux/capabilities,linux/seccomp'))
    const prepare = (li: NonNullable<ContainerInfo['linux_info']>) => () => { for (const i of isolators) i.prepare?.(asking(li)) }
    expect(prepare({ effective_capabilities: caps('SYS_ADMIN') })).toThrow('LinuxInfo capabilities cannot be applied: this agent runs tasks with the posix launcher')
    expect(prepare({ bounding_capabilities: caps('KILL') })).toThrow(IsolationError)
    expect(prepare({ seccomp: { unconfined: true } })).toThrow('LinuxInfo.seccomp cannot be applied: this agent runs tasks with the posix launcher')
    expect(prepare({ share_cgroups: false })).not.toThrow()
    expect(isolators.every(i => i.posix)).toBe(true)
  })
  test('linux launcher without linux/seccomp: LinuxInfo.seccomp fails the launch, capabilities still apply', async () => {
    const isolators = await createIsolators(setup('linux', 'cgroups/cpu'))
    expect(isolators.map(i => i.name)).toEqual(['linux-info-check', 'cgroups/cpu', 'filesystem/linux', 'linux/capabilities', 'volume/persistent', 'volume/secret'])
    expect(() => isolators[0]!.prepare!(asking({ seccomp: { unconfined: true } }))).toThrow("this agent's --isolation does not include linux/seccomp")
    expect(() => isolators[0]!.prepare!(asking({ effective_capabilities: caps('SYS_ADMIN') }))).not.toThrow()
    expect((await createIsolators(setup('linux'))).map(i => i.name)).not.toContain('linux-info-check')
  })
  test('buildSpec with the default isolators: the whole secure default in one config.json', async () => {
    const isolators = await createIsolators(setup('linux'))
    const bundle = mkdtempSync(join(tmpdir(), 'meso-spec-'))
    const s = buildSpec({
      launch: { containerId: 'c1', sandbox: '/h/sandbox', argv: ['true'], env: {}, resources: res('cpus:0.1;mem:32'), isolate: sp => { for (const i of isolators) i.isolate?.(sp, isolationContext()) } },
      bundle, cgroupsPath: '/meso/c1', flags: agentFlags(), hostRoot: [{ name: 'usr', kind: 'dir' }, { name: 'lib', kind: 'symlink', target: 'usr/lib' }],
    })
    expect(s.process.noNewPrivileges).toBe(true)
    expect(s.process.capabilities!.effective).toEqual(defaultCapabilities())
    expect(s.process.capabilities!.ambient).toEqual([])
    expect(s.linux.seccomp!.defaultAction).toBe('SCMP_ACT_ERRNO')
    expect(allowed(s.linux.seccomp!).has('mount')).toBe(false)
    expect(s.mounts.find(m => m.destination === '/usr')!.options).toContain(readOnlyBindOption(release()))
    expect(s.root.readonly).toBe(true)
    rmSync(bundle, { recursive: true, force: true })
  })
})

describe('taskSecurityRequest (for the authorizer)', () => {
  test('a default task asks for nothing; defaults named explicitly are listed but not privileged', () => {
    expect(taskSecurityRequest({})).toEqual({ capabilities: [], extraCapabilities: [], privileged: false })
    expect(taskSecurityRequest({ container: linux({ effective_capabilities: caps('CHOWN', 'KILL') }) })).toEqual({ capabilities: ['CAP_CHOWN', 'CAP_KILL'], extraCapabilities: [], privileged: false })
  })
  test("extra capabilities and seccomp opt-outs, from the task's and its executor's ContainerInfo", () => {
    const r = taskSecurityRequest({ container: linux({ effective_capabilities: caps('SYS_ADMIN'), bounding_capabilities: caps('SYS_ADMIN', 'NET_RAW', 'KILL') }) })
    expect(r).toEqual({ capabilities: ['CAP_KILL', 'CAP_NET_RAW', 'CAP_SYS_ADMIN'], extraCapabilities: ['CAP_NET_RAW', 'CAP_SYS_ADMIN'], privileged: true })
    expect(taskSecurityRequest({ container: linux({ seccomp: { unconfined: true } }) })).toMatchObject({ seccomp: { unconfined: true }, privileged: true })
    expect(taskSecurityRequest({ container: linux({ seccomp: { profile_name: 'p.json' } }) })).toMatchObject({ seccomp: { profileName: 'p.json' }, privileged: true })
    const executor = { executor_id: { value: 'e' }, container: linux({ capability_info: caps('SYS_PTRACE'), seccomp: { unconfined: true } }) }
    expect(taskSecurityRequest({ container: linux({ seccomp: { profile_name: 'p.json' } }), executor })).toMatchObject({ extraCapabilities: ['CAP_SYS_PTRACE'], seccomp: { unconfined: true }, privileged: true })
  })
  test('an invalid LinuxInfo is an error to refuse the task with (TASK_ERROR)', () => {
    expect(taskSecurityRequest({ container: linux({ effective_capabilities: caps('GODMODE') }) }).error).toBe("Unknown capability 'GODMODE' in effective_capabilities")
    expect(taskSecurityRequest({ container: linux({ seccomp: { unconfined: true, profile_name: 'x' } }) }).error).toContain("'profile_name' given even though 'unconfined' is set")
    // Whatever JSON a scheduler sends: wrong types are errors, not exceptions; proto enum numbers are names.
    const odd = (li: unknown) => taskSecurityRequest({ container: { type: 'MESOS', linux_info: li as ContainerInfo['linux_info'] } })
    expect(odd({ effective_capabilities: { capabilities: 'SYS_ADMIN' } }).error).toBe('LinuxInfo.effective_capabilities.capabilities must be a list')
    expect(odd({ bounding_capabilities: { capabilities: [{}] } }).error).toBe("Unknown capability '[object Object]' in bounding_capabilities")
    expect(odd({ seccomp: { profile_name: 7 } }).error).toBe('LinuxInfo.seccomp.profile_name must be a string')
    expect(odd({ effective_capabilities: { capabilities: [1021, 1000] } })).toMatchObject({ capabilities: ['CAP_CHOWN', 'CAP_SYS_ADMIN'], extraCapabilities: ['CAP_SYS_ADMIN'] })
    expect(odd({ effective_capabilities: { capabilities: [999] } }).error).toContain("Unknown capability '999'")
  })
})
