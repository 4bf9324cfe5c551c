// Secure task defaults in real crun containers (docs/security-tasks.md): a root task under the default isolation
// cannot remount the host root, mount, write host files or /proc/sys, load modules, open raw sockets, ptrace or
// make namespaces, and sees masked /proc and /sys files; exec sessions are held the same way. What a task asks for
// through LinuxInfo (capabilities, seccomp off or a named profile) it gets; with the posix launcher it fails.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, release } from 'node:os'
import { join } from 'node:path'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { compileBpf } from '../../src/agent/isolators/seccomp/bpf.ts'
import { DEFAULT_PROFILE, ociSeccomp, parseProfile, type OciSeccomp } from '../../src/agent/isolators/seccomp/profile.ts'
import { CAP_NAMES, DEFAULT_CAPABILITIES } from '../../src/agent/isolators/task-security.ts'
import { frameworkInfo, RawScheduler, type Event } from '../helpers/raw-scheduler.ts'
import { meso, startAgent, startMaster, tempDir, type Daemon } from '../helpers/processes.ts'

const problem = linuxLauncherUnavailable({})
if (problem) console.warn(`\n*** SKIPPING task security tests: ${problem} ***\n`)
const suite = problem ? describe.skip : describe

const daemons: Daemon[] = []
const cleanups: (() => void)[] = []
afterAll(async () => {
  for (const d of daemons) await d.kill('SIGKILL').catch(() => {})
  for (const c of cleanups) c()
})

/** CapEff of a process holding exactly `caps`, as /proc/<pid>/status prints it (bit n: capability number n). */
const capMask = (caps: readonly string[]) =>
  caps.reduce((m, c) => m | (1n << BigInt(CAP_NAMES.indexOf(c.replace(/^CAP_/, '') as (typeof CAP_NAMES)[number]))), 0n).toString(16).padStart(16, '0')

/**
 * Tries everything a task must not be able to do and prints one JSON object: errno names (EPERM, EROFS, …) or "ok".
 * Syscalls go through ctypes so that the errno is exact (a seccomp denial is EPERM; a kernel without module support
 * says ENOSYS, a missing capability EPERM too, a read-only mount EROFS).
 */
const PROBE = String.raw`
import ctypes, errno, json, os, socket, subprocess, time
libc = ctypes.CDLL(None, use_errno=True)
def call(f, *a):
    r = f(*a)
    return 'ok' if r != -1 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
def write(path):
    try:
        with open(path, 'w') as f: f.write('escaped\n')
        return 'ok'
    except OSError as e: return errno.errorcode.get(e.errno, str(e.errno))
def read(path):
    try:
        with open(path) as f: return f.read()
    except OSError as e: return errno.errorcode.get(e.errno, str(e.errno))
def run(*argv): return subprocess.run(list(argv), capture_output=True).returncode
MS_REMOUNT, MS_BIND, MS_RDONLY = 32, 4096, 1
out = {}
out['remount_usr_cmd'] = run('mount', '-o', 'remount,rw,bind', '/usr')
out['remount_usr'] = call(libc.mount, None, b'/usr', None, MS_REMOUNT | MS_BIND, None)
out['remount_proc_sys'] = call(libc.mount, None, b'/proc/sys', None, MS_REMOUNT | MS_BIND, None)
out['mount_tmpfs_cmd'] = run('mount', '-t', 'tmpfs', 'none', '/mnt')
out['mount_tmpfs'] = call(libc.mount, b'none', b'/tmp', b'tmpfs', 0, None)
out['write_usr'] = write('/usr/meso-security-probe')
out['write_etc'] = write('/etc/meso-security-probe')
out['write_var_tmp'] = write('/var/tmp/meso-security-probe')
out['write_proc_sys'] = write('/proc/sys/kernel/domainname')
out['write_sandbox'] = write(os.environ['MESOS_SANDBOX'] + '/mine')
out['init_module'] = call(libc.syscall, 175, None, 0, b'')
out['finit_module'] = call(libc.syscall, 313, -1, b'', 0)
try:
    socket.socket(socket.AF_INET, socket.SOCK_RAW, 1).close(); out['raw_socket'] = 'ok'
except OSError as e: out['raw_socket'] = errno.errorcode.get(e.errno, str(e.errno))
other = subprocess.Popen(['sleep', '30'])
time.sleep(0.1)
out['ptrace_attach'] = call(libc.ptrace, 16, other.pid, None, None)
if out['ptrace_attach'] == 'ok': libc.ptrace(17, other.pid, None, None)
other.kill()
out['unshare_user_ns'] = call(libc.unshare, 0x10000000)
out['unshare_mount_ns'] = call(libc.unshare, 0x00020000)
out['interrupts'] = read('/proc/interrupts')
out['timer_list'] = read('/proc/timer_list')
out['sys_firmware'] = os.listdir('/sys/firmware')
out['status'] = dict(l.split(':\t') for l in read('/proc/self/status').splitlines() if l.split(':')[0] in ('CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs', 'Seccomp'))
print(json.dumps(out))
`

suite('a root task under the default isolation', () => {
  let master: Daemon
  let probe: Record<string, any>
  const probes = ['/usr/meso-security-probe', '/etc/meso-security-probe', '/var/tmp/meso-security-probe']
  beforeAll(async () => {
    cleanups.push(() => { for (const p of probes) rmSync(p, { force: true }) })
    const dir = tempDir()
    master = await startMaster(`${dir}/master`, ['--allocation_interval=100ms'])
    daemons.push(master, await startAgent(master.url, `${dir}/agent`, ['--launcher=linux', '--resources=cpus:2;mem:1024']))
    const r = await meso(['task', 'run', `--master=${master.url}`, '--mem=64', '--', '/usr/bin/python3', '-c', PROBE])
    if (r.code !== 0) throw new Error(`probe task failed (${r.code}): ${r.stderr}`)
    probe = JSON.parse(r.stdout)
  })

  test('runs with the default capabilities (no CAP_SYS_ADMIN), no new privileges and a seccomp filter', () => {
    expect(probe.status).toEqual({ CapEff: capMask(DEFAULT_CAPABILITIES), CapBnd: capMask(DEFAULT_CAPABILITIES), CapAmb: '0000000000000000', NoNewPrivs: '1', Seccomp: '2' })
  })
  test('cannot remount the read-only host root (or /proc/sys) read-write', () => {
    expect(probe.remount_usr_cmd).not.toBe(0)
    expect(probe.remount_usr).toBe('EPERM')
    expect(probe.remount_proc_sys).toBe('EPERM')
  })
  test('cannot mount a filesystem', () => {
    expect(probe.mount_tmpfs_cmd).not.toBe(0)
    expect(probe.mount_tmpfs).toBe('EPERM')
  })
  test('cannot write host paths outside its sandbox (it can write its sandbox)', () => {
    expect([probe.write_usr, probe.write_etc, probe.write_var_tmp]).toEqual(['EROFS', 'EROFS', 'EROFS'])
    expect(probe.write_sandbox).toBe('ok')
  })
  test('cannot write /proc/sys', () => {
    expect(probe.write_proc_sys).toBe('EROFS')
  })
  test('cannot load kernel modules (init_module, finit_module)', () => {
    expect([probe.init_module, probe.finit_module]).toEqual(['EPERM', 'EPERM'])
  })
  test('cannot open a raw socket', () => {
    expect(probe.raw_socket).toBe('EPERM')
  })
  test('cannot ptrace another process', () => {
    expect(probe.ptrace_attach).toBe('EPERM')
  })
  test("cannot see meso's state on the host: ~/.meso, /var/lib/meso, the agent's work dir", async () => {
    const dir = join(homedir(), '.meso')
    const existed = existsSync(dir)
    mkdirSync(dir, { recursive: true })
    const canary = join(dir, `security-canary-${process.pid}`)
    writeFileSync(canary, 'canary-secret\n')
    cleanups.push(() => { rmSync(canary, { force: true }); if (!existed) rmSync(dir, { recursive: true, force: true }) })
    const r = await meso(['task', 'run', `--master=${master.url}`, '--', 'sh', '-c', `cat ${canary}; ls -A ${dir} /var/lib/meso 2>&1; true`])
    expect(r.code).toBe(0)
    expect(r.stdout).not.toContain('canary-secret')
    expect(r.stdout).not.toContain('security-canary')
  })
  test('cannot create user or mount namespaces', () => {
    expect([probe.unshare_user_ns, probe.unshare_mount_ns]).toEqual(['EPERM', 'EPERM'])
  })
  test('sees masked /proc and /sys files empty', () => {
    expect([probe.interrupts, probe.timer_list, probe.sys_firmware]).toEqual(['', '', []])
  })

  test('a non-root task user holds no capabilities at all', async () => {
    const r = await meso(['task', 'run', `--master=${master.url}`, '--user=nobody', '--', 'grep', '-E', '^Cap(Eff|Prm|Amb)', '/proc/self/status'])
    expect(r.stdout).toBe('CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapAmb:\t0000000000000000\n')
  })

  test('a non-root task user owns its sandbox (it can write its working directory), as Mesos chowns it', async () => {
    const r = await meso(['task', 'run', `--master=${master.url}`, '--user=nobody', '--', 'sh', '-c', 'echo written > note && cat note && stat -c %U .'])
    expect({ code: r.code, out: r.stdout }).toEqual({ code: 0, out: 'written\nnobody\n' })
  })

  test('`meso task exec` sessions get the same capabilities, no_new_privs and seccomp filter as the task', async () => {
    const d = await meso(['task', 'run', `--master=${master.url}`, '--detach', '--name=sec-exec', '--', 'sleep', '120'])
    expect(d.code).toBe(0)
    try {
      const r = await meso(['task', 'exec', `--master=${master.url}`, 'sec-exec', '--', '/usr/bin/python3', '-c', PROBE])
      expect(r.code).toBe(0)
      const x = JSON.parse(r.stdout)
      expect(x.status).toMatchObject({ CapEff: capMask(DEFAULT_CAPABILITIES), CapBnd: capMask(DEFAULT_CAPABILITIES), NoNewPrivs: '1', Seccomp: '2' })
      expect([x.remount_usr, x.mount_tmpfs, x.write_usr, x.init_module, x.raw_socket, x.ptrace_attach]).toEqual(['EPERM', 'EPERM', 'EROFS', 'EPERM', 'EPERM', 'EPERM'])
    } finally {
      await meso(['task', 'kill', `--master=${master.url}`, '--no-wait', 'sec-exec'])
    }
  })
})

suite('what a task asks for through LinuxInfo', () => {
  let master: Daemon
  let s: RawScheduler
  const dir = tempDir()
  beforeAll(async () => {
    // A profile in --seccomp_config_dir: everything allowed but mkdir.
    mkdirSync(join(dir, 'seccomp'))
    writeFileSync(join(dir, 'seccomp', 'no-mkdir.json'), JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
    }))
    // A host directory with a mount below it, for a read-only volume.
    mkdirSync(join(dir, 'vol', 'sub'), { recursive: true })
    if (Bun.spawnSync(['mount', '-t', 'tmpfs', 'meso-test', join(dir, 'vol', 'sub')]).exitCode !== 0) throw new Error('cannot mount a tmpfs for the volume test')
    cleanups.push(() => { Bun.spawnSync(['umount', '-l', join(dir, 'vol', 'sub')]) })
    master = await startMaster(`${dir}/master`, ['--allocation_interval=100ms'])
    daemons.push(master, await startAgent(master.url, `${dir}/agent`, ['--launcher=linux', '--resources=cpus:2;mem:1024', `--seccomp_config_dir=${join(dir, 'seccomp')}`]))
    s = new RawScheduler(master.url)
    await s.subscribe(frameworkInfo('security'))
  })
  afterAll(() => s?.close())

  /** Launches one shell task with `container` on an offer not used yet; its terminal status and stdout. */
  let n = 0
  const used = new Set<string>()
  async function runTask(container: Record<string, unknown>, cmd: string) {
    const id = `sec-${++n}`
    const fresh = (e: Event) => e.type === 'OFFERS' ? e.offers.offers.find((o: { id: { value: string } }) => !used.has(o.id.value)) : undefined
    const offer = fresh(await s.next(e => !!fresh(e)))
    used.add(offer.id.value)
    await s.call('ACCEPT', { accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [{
      name: id, task_id: { value: id }, agent_id: offer.agent_id, command: { value: cmd },
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 }, allocation_info: { role: '*' } }, { name: 'mem', type: 'SCALAR', scalar: { value: 32 }, allocation_info: { role: '*' } }],
      container: { type: 'MESOS', ...container },
    }] } }] } })
    const end = await s.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === id && ['TASK_FINISHED', 'TASK_FAILED', 'TASK_ERROR', 'TASK_LOST'].includes(e.update.status.state))
    const logs = await meso(['task', 'logs', `--master=${master.url}`, id])
    return { state: end.update.status.state as string, message: end.update.status.message as string, stdout: logs.stdout }
  }

  test('a task that asks for CAP_SYS_ADMIN gets it: it can mount (seccomp follows its capabilities)', async () => {
    const r = await runTask({ linux_info: { effective_capabilities: { capabilities: ['SYS_ADMIN'] } } }, 'grep CapEff /proc/self/status; mkdir /tmp/m && mount -t tmpfs none /tmp/m && echo mounted')
    expect(r).toMatchObject({ state: 'TASK_FINISHED', stdout: `CapEff:\t${capMask(['SYS_ADMIN'])}\nmounted\n` })
  })
  test('CAP_NET_RAW on request (the default drops it): raw sockets open', async () => {
    const r = await runTask({ linux_info: { bounding_capabilities: { capabilities: [...DEFAULT_CAPABILITIES, 'NET_RAW'] } } }, `/usr/bin/python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, 1); print("raw")'`)
    expect(r).toMatchObject({ state: 'TASK_FINISHED', stdout: 'raw\n' })
  })
  test('seccomp `unconfined` runs without a filter; `profile_name` runs with that profile from --seccomp_config_dir', async () => {
    expect(await runTask({ linux_info: { seccomp: { unconfined: true } } }, 'grep ^Seccomp: /proc/self/status')).toMatchObject({ state: 'TASK_FINISHED', stdout: 'Seccomp:\t0\n' })
    const named = await runTask({ linux_info: { seccomp: { profile_name: 'no-mkdir.json' } } }, 'mkdir /tmp/d 2>&1 || echo refused')
    expect(named.state).toBe('TASK_FINISHED')
    expect(named.stdout).toContain('Permission denied')
    expect(named.stdout).toEndWith('refused\n')
  })
  test('an unknown profile or an impossible capability fails the launch with the reason', async () => {
    const missing = await runTask({ linux_info: { seccomp: { profile_name: 'nope.json' } } }, 'true')
    expect(missing).toMatchObject({ state: 'TASK_FAILED' })
    expect(missing.message).toContain(`Failed to read seccomp profile '${join(dir, 'seccomp', 'nope.json')}'`)
    const outside = await runTask({ linux_info: { effective_capabilities: { capabilities: ['SYS_ADMIN'] }, bounding_capabilities: { capabilities: ['KILL'] } } }, 'true')
    expect(outside.state).toBe('TASK_FAILED')
    expect(outside.message).toContain('CAP_SYS_ADMIN are not in the bounding set')
  })
  test('a read-only volume is read-only all the way down, mounts below its source included', async () => {
    const r = await runTask({ volumes: [{ mode: 'RO', container_path: '/data', host_path: join(dir, 'vol') }] }, 'touch /data/sub/x 2>&1; touch /data/y 2>&1; ls /data/sub')
    expect(r.state).toBe('TASK_FINISHED')
    expect(r.stdout).toBe("touch: cannot touch '/data/sub/x': Read-only file system\ntouch: cannot touch '/data/y': Read-only file system\n")
  })
})

suite('the precompiled seccomp filter', () => {
  /** The BPF crun itself compiles from `seccomp` (it leaves it in its state directory at create). */
  function crunBpf(seccomp: OciSeccomp): Buffer {
    const dir = tempDir()
    mkdirSync(join(dir, 'rootfs', 'dev'), { recursive: true })
    copyFileSync('/bin/busybox', join(dir, 'rootfs', 'true'))
    const spec = { ociVersion: '1.0.2', process: { args: ['/true'], cwd: '/', user: { uid: 0, gid: 0 } }, root: { path: join(dir, 'rootfs'), readonly: true }, mounts: [], linux: { namespaces: [{ type: 'mount' }], seccomp } }
    writeFileSync(join(dir, 'config.json'), JSON.stringify(spec))
    // The created container holds on to crun's stdio: a pipe would block until it exits.
    const crun = (...args: string[]) => Bun.spawnSync(['crun', `--root=${join(dir, 'state')}`, ...args], { cwd: dir, stdin: 'ignore', stdout: 'ignore', stderr: Bun.file(join(dir, 'crun.err')) })
    if (crun('create', '--bundle', dir, 'bpf').exitCode !== 0) throw new Error(`crun create: ${readFileSync(join(dir, 'crun.err'), 'utf8')}`)
    try { return readFileSync(join(dir, 'state', 'bpf', 'seccomp.bpf')) } finally { crun('delete', '--force', 'bpf') }
  }
  const host = { arch: process.arch, kernel: release() }

  test("is byte for byte what crun compiles: the default profile, with SYS_ADMIN, and a profile with argument rules", () => {
    const filters = [
      ociSeccomp(DEFAULT_PROFILE, DEFAULT_CAPABILITIES, host),
      ociSeccomp(DEFAULT_PROFILE, [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN', 'CAP_SYS_PTRACE'], host),
      ociSeccomp(parseProfile({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        { names: ['personality'], action: 'SCMP_ACT_KILL', args: [{ index: 0, value: 8, op: 'SCMP_CMP_GT' }, { index: 0, value: 100, op: 'SCMP_CMP_LT' }] },
        { names: ['socket', 'no_such_syscall'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 40, op: 'SCMP_CMP_EQ' }, { index: 2, value: 0xff, valueTwo: 1, op: 'SCMP_CMP_MASKED_EQ' }] },
      ] }), [], host),
    ]
    for (const f of filters) expect(compileBpf(f).equals(crunBpf(f))).toBe(true)
  })
})

suite('the posix launcher', () => {
  test('a task asking for capabilities or seccomp settings fails, naming the launcher', async () => {
    const dir = tempDir()
    const master = await startMaster(`${dir}/master`, ['--allocation_interval=100ms'])
    daemons.push(master, await startAgent(master.url, `${dir}/agent`, ['--launcher=posix', '--resources=cpus:1;mem:512']))
    const s = new RawScheduler(master.url)
    await s.subscribe(frameworkInfo('posix-security'))
    const offer = (await s.next(e => e.type === 'OFFERS')).offers.offers[0]
    const task = (id: string, linux_info: Record<string, unknown>) => ({
      name: id, task_id: { value: id }, agent_id: offer.agent_id, command: { value: 'true' }, container: { type: 'MESOS', linux_info },
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 }, allocation_info: { role: '*' } }, { name: 'mem', type: 'SCALAR', scalar: { value: 16 }, allocation_info: { role: '*' } }],
    })
    await s.call('ACCEPT', { accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [
      task('caps', { effective_capabilities: { capabilities: ['SYS_ADMIN'] } }), task('seccomp', { seccomp: { unconfined: true } }),
    ] } }] } })
    for (const id of ['caps', 'seccomp']) {
      const f = await s.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === id && e.update.status.state === 'TASK_FAILED')
      expect(f.update.status.reason).toBe('REASON_CONTAINER_LAUNCH_FAILED')
      expect(f.update.status.message).toMatch(/\(posix launcher: --launcher=posix\) cannot (set capabilities|apply seccomp settings); start the agent with --launcher=linux/)
    }
    s.close()
  })
})
