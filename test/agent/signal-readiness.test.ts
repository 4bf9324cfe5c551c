// A kill sent right after a container's start must not vanish (src/agent/containerizer/linux/signal-readiness.ts):
// the container's first process is PID 1 of its pid namespace until it execs, and the kernel drops a SIGTERM that
// PID 1 neither handles nor blocks. Unit checks of the /proc reading, a plain process that execs late, and real
// containers killed with SIGTERM the moment `start` returns.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { LinuxLauncher, linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { awaitSignalReadiness, executableOf, isNamespaceInit, takesSignal } from '../../src/agent/containerizer/linux/signal-readiness.ts'
import { removeCgroupRoot } from '../helpers/cgroup-root.ts'
import { agentFlags, res } from '../helpers/isolation.ts'
import { tempDir } from '../helpers/processes.ts'

test('SigBlk and SigCgt: SIGTERM (bit 15) caught or blocked, or neither', () => {
  const status = (blk: string, cgt: string) => `Name:\tx\nSigQ:\t0/1\nSigPnd:\t0000000000000000\nSigBlk:\t${blk}\nSigIgn:\t0000000000000000\nSigCgt:\t${cgt}\n`
  expect(takesSignal(status('0000000000004000', '0000000000000000'), 'SIGTERM')).toBe(true)
  expect(takesSignal(status('0000000000000000', '0000000000004000'), 'SIGTERM')).toBe(true)
  expect(takesSignal(status('fffffffe7ffbfeff', '0000000000000000'), 'SIGTERM')).toBe(true)
  expect(takesSignal(status('0000000000000000', '0000000000010002'), 'SIGTERM')).toBe(false)
  expect(takesSignal(status('0000000000000000', '0000000000000002'), 'SIGINT')).toBe(true)
})

test('NSpid: PID 1 of a nested namespace, or not', () => {
  expect(isNamespaceInit('Name:\tcatatonit\nNSpid:\t4242\t1\n')).toBe(true)
  expect(isNamespaceInit('Name:\tsleep\nNSpid:\t4243\t2\n')).toBe(false)
  expect(isNamespaceInit('Name:\tsleep\nNSpid:\t4243\n')).toBe(false)
  expect(isNamespaceInit('Name:\tinit\nNSpid:\t1\n')).toBe(false)
})

test('a process that is no namespace\'s PID 1 is not waited for', async () => {
  const p = Bun.spawn(['/bin/sh', '-c', 'sleep 0.3; exec sleep 30'])
  await Bun.sleep(20)
  const started = performance.now()
  await awaitSignalReadiness(p.pid, executableOf(p.pid)!, 'SIGTERM')
  expect(performance.now() - started).toBeLessThan(100)
  p.kill('SIGKILL')
  await p.exited
})

// unshare gives the shell a pid namespace of its own, as a container's first process has.
test.skipIf(process.getuid?.() !== 0)('waits until a namespace\'s PID 1 has exec\'d, at most the timeout; returns at once when it is gone', async () => {
  const late = Bun.spawn(['unshare', '--pid', '--fork', '--', '/bin/sh', '-c', 'sleep 0.3; exec sleep 30'])
  await Bun.sleep(50)
  const init = Number((await Bun.file(`/proc/${late.pid}/task/${late.pid}/children`).text()).trim())
  expect(isNamespaceInit(await Bun.file(`/proc/${init}/status`).text())).toBe(true)
  const before = executableOf(init)!
  const started = performance.now()
  await awaitSignalReadiness(init, before, 'SIGTERM')
  expect(executableOf(init)).not.toBe(before)
  expect(performance.now() - started).toBeGreaterThan(200)
  late.kill('SIGKILL')
  try { process.kill(init, 'SIGKILL') } catch { /* gone with it */ }
  await late.exited

  const never = Bun.spawn(['unshare', '--pid', '--fork', '--', '/bin/sh', '-c', 'sleep 30'])
  await Bun.sleep(50)
  const neverInit = Number((await Bun.file(`/proc/${never.pid}/task/${never.pid}/children`).text()).trim())
  const timed = performance.now()
  await awaitSignalReadiness(neverInit, executableOf(neverInit)!, 'SIGTERM', 200)
  expect(performance.now() - timed).toBeGreaterThan(150)
  expect(performance.now() - timed).toBeLessThan(1000)
  never.kill('SIGKILL')
  try { process.kill(neverInit, 'SIGKILL') } catch { /* gone with it */ }
  await never.exited
  await Bun.sleep(50)
  const gone = performance.now()
  await awaitSignalReadiness(neverInit, '/bin/sh', 'SIGTERM')
  expect(performance.now() - gone).toBeLessThan(100)
})

const problem = linuxLauncherUnavailable({})
const linux = problem ? describe.skip : describe

linux('real containers', () => {
  const dir = tempDir('meso-sigready-')
  const cgroupsRoot = `meso-sigready-${crypto.randomUUID().slice(0, 8)}`
  let launcher: LinuxLauncher
  beforeAll(async () => {
    launcher = new LinuxLauncher(agentFlags({ cgroups_root: cgroupsRoot }), join(dir, 'run'))
    await launcher.prepare()
  })
  afterAll(() => removeCgroupRoot(cgroupsRoot))

  test('SIGTERM the moment start returns ends a `sleep` task by SIGTERM, not after a grace period', async () => {
    for (let i = 0; i < 12; i++) {
      const id = `sig-${i}-${crypto.randomUUID().slice(0, 8)}`
      const sandbox = join(dir, 'sandboxes', id)
      mkdirSync(sandbox, { recursive: true })
      await launcher.create({ containerId: id, sandbox, argv: ['sleep', '60'], env: { PATH: '/usr/bin:/bin' }, resources: res('cpus:0.1;mem:32'), isolate: () => {} })
      await launcher.start(id)
      await launcher.kill(id, 'SIGTERM')
      const ended = await Promise.race([launcher.wait(id), Bun.sleep(5000).then(() => undefined)])
      if (!ended) await launcher.kill(id, 'SIGKILL')
      await launcher.destroy(id)
      expect({ i, ended }).toEqual({ i, ended: expect.objectContaining({ exitCode: 143 }) })
    }
  }, 120_000)
})
