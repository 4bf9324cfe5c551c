// Every file descriptor the agent opens for a container is closed by the time the container is destroyed
// (docs/security-files.md): real crun containers under conmon, launched and destroyed by the linux launcher in this
// process, whose own /proc/self/fd is counted — 500 plain containers (conmon's sync socket leaked one fd each, so an
// agent failed every launch with EMFILE after ~20k), containers with a TTY and stdin (attach socket, log pump),
// and exec sessions with and without a TTY (console socket, pty master, pipes). Their cgroups and bundles go too.
// A launch cut short by an agent restart is reported as such, not as a conmon failure.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { LAUNCH_INTERRUPTED, type ExecProcess } from '../../src/agent/containerizer/launcher.ts'
import { LinuxLauncher, linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { PosixLauncher } from '../../src/agent/containerizer/posix-launcher.ts'
import { cgroupsLeft, removeCgroupRoot } from '../helpers/cgroup-root.ts'
import { tempDir } from '../helpers/processes.ts'
import { agentFlags, res } from '../helpers/isolation.ts'

const problem = linuxLauncherUnavailable({})
if (problem) console.warn(`\n*** SKIPPING linux launcher fd tests: ${problem} ***\n`)
const linux = problem ? describe.skip : describe

/** This process's open fds; a short settle first, as exit watchers close theirs in a callback. */
async function openFds(): Promise<number> {
  await Bun.sleep(50)
  return readdirSync('/proc/self/fd').length
}
const describeFds = () => readdirSync('/proc/self/fd').map(fd => { try { return readlinkSync(`/proc/self/fd/${fd}`) } catch { return '?' } }).join(' ')

const dir = tempDir('meso-fds-')
const cgroupsRoot = `meso-fdtest-${crypto.randomUUID().slice(0, 8)}`
let launcher: LinuxLauncher
let n = 0

async function run(argv: string[], o: { tty?: boolean; stdin?: boolean } = {}) {
  const id = `fd-${n++}-${crypto.randomUUID().slice(0, 8)}`
  const sandbox = join(dir, 'sandboxes', id)
  mkdirSync(sandbox, { recursive: true })
  await launcher.create({ containerId: id, sandbox, argv, env: { PATH: '/usr/bin:/bin' }, resources: res('cpus:0.1;mem:32'), isolate: () => {}, ...o })
  await launcher.start(id)
  return id
}

async function runToEnd(argv: string[], o: { tty?: boolean; stdin?: boolean } = {}) {
  const id = await run(argv, o)
  const t = await launcher.wait(id)
  await launcher.destroy(id)
  return t
}

/** Runs `total` jobs `width` at a time. */
async function batch(total: number, width: number, job: (i: number) => Promise<unknown>) {
  let next = 0
  await Promise.all(Array.from({ length: width }, async () => { while (next < total) await job(next++) }))
}


linux('linux launcher: fds per container', () => {
  beforeAll(async () => {
    launcher = new LinuxLauncher(agentFlags({ cgroups_root: cgroupsRoot }), join(dir, 'run'))
    await launcher.prepare()
    await runToEnd(['/bin/true']) // first-use fds (FFI, inotify instances Bun keeps) are not per container
  })
  afterAll(() => removeCgroupRoot(cgroupsRoot))

  test('500 containers launched and destroyed: the fd count is back at its baseline, no cgroup or bundle left', async () => {
    const before = await openFds()
    const started = performance.now()
    await batch(500, 8, async () => {
      const t = await runToEnd(['/bin/true'])
      if (t.exitCode !== 0) throw new Error(`a container ended with ${JSON.stringify(t)}`)
    })
    const after = await openFds()
    console.log(`500 containers in ${((performance.now() - started) / 1000).toFixed(1)}s: fds ${before} before, ${after} after`)
    if (after > before + 2) console.log(describeFds())
    expect(after).toBeLessThanOrEqual(before + 2)
    expect(cgroupsLeft(cgroupsRoot)).toEqual([])
    expect(readdirSync(join(dir, 'run', 'containers'))).toEqual([])
  }, 120_000)

  // Four at a time, as an agent creates them: when their output was read on the thread pool, a read queued there ran
  // on the number after the launcher had closed it, which hung a create or destroy in about 1 run in 4 (fd-poller.ts).
  // What the task printed reaches a client that attaches only after the container ended (the read drains to EOF), or
  // after it was destroyed.
  test('containers with a TTY and stdin (attach socket, log pump, ctl fifo) close all of theirs', async () => {
    const before = await openFds()
    await batch(20, 4, async i => {
      const id = await run(['/bin/sh', '-c', 'echo hi'], { tty: true, stdin: true })
      launcher.io(id)?.resize(30, 100)
      await launcher.wait(id)
      // Half attach only after the destroy, as `task run -t` may for a short task.
      if (i % 2) await launcher.destroy(id)
      let out = ''
      await new Promise<void>(ended => launcher.io(id)!.onOutput((_, d) => { out += new TextDecoder().decode(d) }, ended))
      expect(out.replace(/\r/g, '')).toBe('hi\n')
      if (!(i % 2)) await launcher.destroy(id)
    })
    expect(await openFds()).toBeLessThanOrEqual(before + 2)
  }, 60_000)

  // Their output is read without holding a thread while they are quiet: a blocking read per container on Bun's
  // thread pool (one thread per CPU) once let as many idle `task run -it` shells stop every later create.
  test('idle TTY containers, one more than the CPUs, hold up neither a plain launch nor another TTY container', async () => {
    const idle: string[] = []
    const within = <T>(what: string, p: Promise<T>) => Promise.race([p, Bun.sleep(30_000).then(() => { throw new Error(`${what} waited 30 s behind ${idle.length} idle TTY containers`) })])
    try {
      for (let i = 0; i <= availableParallelism(); i++) idle.push(await within('a TTY launch', run(['/bin/sleep', '600'], { tty: true, stdin: true })))
      await Bun.sleep(200)
      expect(await within('a plain container', runToEnd(['/bin/true']))).toMatchObject({ exitCode: 0 })
      const out = await within('a TTY container', (async () => {
        const id = await run(['/bin/sh', '-c', 'echo more'], { tty: true, stdin: true })
        await launcher.wait(id)
        let text = ''
        await new Promise<void>(ended => launcher.io(id)!.onOutput((_, d) => { text += new TextDecoder().decode(d) }, ended))
        await launcher.destroy(id)
        return text
      })())
      expect(out.replace(/\r/g, '')).toBe('more\n')
    } finally {
      for (const c of idle) { await launcher.kill(c, 'SIGKILL'); await launcher.wait(c); await launcher.destroy(c) }
    }
  }, 120_000)

  test('exec sessions, with and without a TTY, close their pipes, console sockets and pty masters', async () => {
    const id = await run(['/bin/sleep', '60'])
    const before = await openFds()
    const session = async (tty: boolean) => {
      const p: ExecProcess = await launcher.exec(id, { argv: ['/bin/sh', '-c', 'read x; echo got $x'], env: { PATH: '/usr/bin:/bin' }, tty })
      let out = ''
      p.io.onOutput((_, d) => { out += new TextDecoder().decode(d) }, () => {})
      p.io.writeStdin(new TextEncoder().encode('ping\n'))
      if (!tty) p.io.closeStdin()
      const t = await p.wait()
      expect(t.exitCode).toBe(0)
      await Bun.sleep(20)
      expect(out).toContain('got ping')
    }
    await batch(20, 4, i => session(i % 2 === 0))
    expect(await openFds()).toBeLessThanOrEqual(before + 2)
    await launcher.kill(id, 'SIGKILL')
    await launcher.wait(id)
    await launcher.destroy(id)
  }, 60_000)

  test('a container the agent was still launching when it stopped ends "interrupted", not "conmon died"', async () => {
    const fresh = new LinuxLauncher(agentFlags({ cgroups_root: cgroupsRoot }), join(dir, 'run'))
    await fresh.recover([{ containerId: 'was-launching', data: {} }])
    expect(await fresh.wait('was-launching')).toEqual({ unknown: LAUNCH_INTERRUPTED })
    await fresh.destroy('was-launching')
  })
})

describe('posix launcher', () => {
  test('100 containers launched and destroyed leave no fd behind', async () => {
    const posix = new PosixLauncher(join(dir, 'posix'), false)
    await posix.prepare()
    const once = async (i: number) => {
      const id = `p-${i}`
      const sandbox = join(dir, 'posix-sandboxes', id)
      mkdirSync(sandbox, { recursive: true })
      await posix.create({ containerId: id, sandbox, argv: ['/bin/true'], env: {}, resources: res('cpus:0.1;mem:32'), isolate: () => {} })
      await posix.wait(id)
      await posix.destroy(id)
    }
    await once(-1)
    const before = await openFds()
    await batch(100, 8, once)
    expect(await openFds()).toBeLessThanOrEqual(before + 2)
  }, 60_000)

  test('a container the agent was still launching when it stopped ends "interrupted"; what it started is killed', async () => {
    const before = new PosixLauncher(join(dir, 'posix'), false)
    const sandbox = join(dir, 'posix-sandboxes', 'was-launching')
    mkdirSync(sandbox, { recursive: true })
    // The agent started the process, then stopped before it could checkpoint the pid.
    const { pid } = await before.create({ containerId: 'was-launching', sandbox, argv: ['/bin/sleep', '60'], env: {}, resources: res('cpus:0.1;mem:32'), isolate: () => {} })
    const after = new PosixLauncher(join(dir, 'posix'), false)
    await after.recover([{ containerId: 'was-launching', data: {} }])
    expect(await after.wait('was-launching')).toEqual({ unknown: LAUNCH_INTERRUPTED })
    await after.destroy('was-launching')
    expect(existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z')).toBe(false)
  })

  test('killing a launch cut short before its process started signals nothing (pid 0 is not the agent\'s own group)', async () => {
    const posix = new PosixLauncher(join(dir, 'posix'), false)
    await posix.recover([{ containerId: 'never-started', data: {} }])
    // SIGWINCH: harmless to the rest of this process group were the guard ever to go.
    let received = 0
    const onWinch = () => { received++ }
    process.on('SIGWINCH', onWinch)
    try {
      await posix.kill('never-started', 'SIGWINCH')
      await Bun.sleep(100)
    } finally { process.off('SIGWINCH', onWinch) }
    expect(received).toBe(0)
    await posix.destroy('never-started')
  })
})
