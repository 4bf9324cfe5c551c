// Nothing is silently ignored, and tasks die when asked (issue 17, items 1 and 2), with real masters and agents:
// - the posix launcher (forced with --launcher=posix, and an agent running as a non-root user) refuses images, CNI
//   networks, TTYs, rlimits and --init with one message naming the agent, the launcher and why; `meso task run`
//   prints it and exits 125, while a plain command still runs;
// - the linux launcher runs a container init as PID 1, so a `sleep` task dies of the kill's SIGTERM at once instead of
//   after the grace period, with the same status as any process killed by SIGTERM; --no-init restores the old way.

import { afterAll, describe, expect, test } from 'bun:test'
import { chownSync, mkdtempSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { findContainerInit } from '../../src/agent/containerizer/container-init.ts'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { EXIT_STATUS_LABEL } from '../../src/core/exit-status.ts'
import { startOneAgentCluster, type OneAgentCluster } from '../helpers/one-agent-cluster.ts'
import { MESO, meso, startAgent, startMaster, tempDir, type Daemon } from '../helpers/processes.ts'

const daemons: Daemon[] = []
afterAll(async () => { for (const d of daemons) await d.kill('SIGKILL').catch(() => {}) })

/** `meso <args>` as user nobody (setpriv), resolved with the URL its log announces. */
async function startAsNobody(args: string[], pattern: RegExp, env: Record<string, string>): Promise<Daemon> {
  const proc = Bun.spawn(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', ...MESO, ...args], {
    stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1', ...env },
  })
  let output = ''
  const dec = new TextDecoder()
  const pump = async (s: ReadableStream<Uint8Array>) => { for await (const c of s) output += dec.decode(c) }
  void pump(proc.stdout)
  void pump(proc.stderr)
  const deadline = Date.now() + 30_000
  let m: RegExpExecArray | null
  while (!(m = pattern.exec(output))) {
    if (proc.exitCode !== null || Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error(`meso ${args[0]} as nobody did not start:\n${output}`) }
    await Bun.sleep(50)
  }
  return { proc: proc as Daemon['proc'], url: m[1]!, log: () => output, async kill(signal: NodeJS.Signals | number = 'SIGTERM') { proc.kill(signal as any); await proc.exited } }
}

/** `meso task run` against `master` with `args`; the refusal needs no registry or network: it comes before either. */
const run = (master: string, args: string[]) => meso(['task', 'run', `--master=${master}`, '--timeout=30', ...args], { timeoutMs: 60_000 })

describe('the posix launcher refuses what it cannot do', () => {
  test('--launcher=posix: --image, --network, -t, --rlimit and --init fail with exit 125 and say why; a plain task runs', async () => {
    const dir = tempDir()
    const master = await startMaster(join(dir, 'master'), ['--allocation_interval=100ms'])
    daemons.push(master, await startAgent(master.url, join(dir, 'agent'), ['--launcher=posix', '--resources=cpus:2;mem:512', '--hostname=posix-agent']))
    const head = 'agent posix-agent (posix launcher: --launcher=posix) cannot'
    const cases: [string[], string][] = [
      [['--image', 'busybox:1.36', '--', 'true'], `${head} run container images; start the agent with --launcher=linux, or drop --image (ContainerInfo.mesos.image)`],
      [['--network', 'no-such-net', '--', 'true'], `${head} join CNI network 'no-such-net'; start the agent with --launcher=linux, or drop --network (ContainerInfo.network_infos)`],
      [['-t', '--', 'sh'], `${head} give a task a terminal`],
      [['--rlimit', 'NOFILE=64', '--', 'true'], `${head} set rlimits`],
      [['--init', '--', 'true'], `${head} run a container init`],
    ]
    for (const [args, message] of cases) {
      const r = await run(master.url, args)
      expect({ args, code: r.code }).toEqual({ args, code: 125 })
      expect(r.stderr).toContain('TASK_FAILED: Failed to launch container: ')
      expect(r.stderr).toContain(message)
    }
    const ok = await run(master.url, ['--', 'sh', '-c', 'echo still-runs'])
    expect(ok).toMatchObject({ code: 0, stdout: 'still-runs\n' })
  }, 180_000)

  test.skipIf(process.getuid?.() !== 0 || !Bun.which('setpriv'))('an agent running as a non-root user says so', async () => {
    const dir = tempDir()
    const master = await startMaster(join(dir, 'master'), ['--allocation_interval=100ms'])
    daemons.push(master)
    // The agent as nobody, choosing its launcher itself: without root it falls back to posix and says why.
    const home = mkdtempSync(join(tmpdir(), 'meso-nonroot-'))
    chownSync(home, 65534, 65534)
    const agent = await startAsNobody(
      ['agent', `--master=${master.url.replace(/^http:\/\//, '')}`, '--ip=127.0.0.1', '--port=0', `--work_dir=${join(home, 'agent')}`, '--resources=cpus:1;mem:256'],
      /meso agent listening at (http:\/\/\S+?),/, { HOME: home },
    )
    daemons.push(agent)
    expect(agent.log()).toContain('Using the posix launcher')
    const r = await run(master.url, ['--image', 'busybox:1.36', '--', 'true'])
    expect(r.code).toBe(125)
    expect(r.stderr).toContain(`agent ${hostname()} (posix launcher: not root) cannot run container images; run the agent as root with crun and conmon installed (./install.sh), or drop --image`)
    const tty = await run(master.url, ['-t', '--', 'sh'])
    expect(tty.code).toBe(125)
    expect(tty.stderr).toContain('(posix launcher: not root) cannot give a task a terminal')
    expect(await run(master.url, ['--', 'id', '-u'])).toMatchObject({ code: 0, stdout: '65534\n' })
  }, 120_000)
})

const linuxProblem = linuxLauncherUnavailable({}) ?? ('missing' in findContainerInit() ? 'no container init (catatonit) installed' : undefined)

describe.skipIf(!!linuxProblem)(`the container init (linux launcher)${linuxProblem ? ` — skipped: ${linuxProblem}` : ''}`, () => {
  let cluster: OneAgentCluster
  const res = [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 32 } }]
  const task = (id: string, agentId: string, cmd: string, labels?: Record<string, string>) => ({
    name: id, task_id: { value: id }, agent_id: { value: agentId }, resources: res, command: { value: cmd },
    ...(labels ? { labels: { labels: Object.entries(labels).map(([key, value]) => ({ key, value })) } } : {}),
  })
  const running = (id: string) => cluster.sched.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === id && e.update.status.state === 'TASK_RUNNING', 60_000)
  /** Milliseconds from the KILL call to the terminal update, and that update. */
  async function killTimed(id: string) {
    const t0 = performance.now()
    await cluster.sched.call('KILL', { kill: { task_id: { value: id } } })
    const terminal = await cluster.terminal(id, 30_000)
    return { ms: performance.now() - t0, status: terminal.update.status }
  }
  const label = (s: any) => s.labels?.labels?.find((l: any) => l.key === EXIT_STATUS_LABEL)?.value

  test('a sleep task dies of SIGTERM at once; with meso.io/init=false it waits out the 3 s grace period', async () => {
    const dir = tempDir()
    cluster = await startOneAgentCluster(dir, ['--launcher=linux', '--resources=cpus:2;mem:1024'], 'init-test')
    daemons.push(cluster.master, cluster.agent)
    expect(cluster.agent.log()).toContain('Container init: ')
    await cluster.launch(agentId => [
      task('sleeper', agentId, 'exec sleep 600'),
      task('server', agentId, 'exec python3 -m http.server 0 --bind 127.0.0.1'),
      task('pid1', agentId, 'exec sleep 600', { 'meso.io/init': 'false' }),
    ], { cpus: 0.3, mem: 96 })
    for (const id of ['sleeper', 'server', 'pid1']) await running(id)

    const fast = await killTimed('sleeper')
    // Same status as any process killed by SIGTERM: TASK_KILLED, Mesos' message, wait status 15 (CLI exit 137).
    expect(fast.status).toMatchObject({ state: 'TASK_KILLED', message: 'Command terminated with signal SIGTERM' })
    expect(label(fast.status)).toBe('15')
    const server = await killTimed('server')
    expect(server.status.state).toBe('TASK_KILLED')
    const slow = await killTimed('pid1')
    expect(slow.status).toMatchObject({ state: 'TASK_KILLED', message: 'Command terminated with signal SIGKILL' })
    console.log(`kill → TASK_KILLED: sleep ${fast.ms.toFixed(0)} ms, python3 -m http.server ${server.ms.toFixed(0)} ms with the init; sleep as PID 1 ${slow.ms.toFixed(0)} ms`)
    expect(slow.ms).toBeGreaterThanOrEqual(2900)
    // Far inside the grace period, whatever the machine's load (bench/kill.ts measures it properly).
    expect(fast.ms).toBeLessThan(1500)
    expect(server.ms).toBeLessThan(1500)
  }, 180_000)

  test('exit codes pass through the init unchanged; a missing command still fails the launch', async () => {
    await cluster.launch(agentId => [
      task('exit3', agentId, 'exit 3'),
      task('selfkill', agentId, 'kill -USR1 $$'),
      { ...task('missing', agentId, ''), command: { shell: false, value: 'no-such-command-x', arguments: ['no-such-command-x'] } },
    ], { cpus: 0.3, mem: 96 })
    const exit3 = (await cluster.terminal('exit3')).update.status
    expect(exit3).toMatchObject({ state: 'TASK_FAILED', message: 'Command exited with status 3' })
    expect(label(exit3)).toBe(String(3 << 8))
    // A signal the task sends itself now kills it (PID 1 would have ignored it): reported as a death by that signal.
    const selfkill = (await cluster.terminal('selfkill')).update.status
    expect(selfkill).toMatchObject({ state: 'TASK_FAILED', message: 'Command terminated with signal SIGUSR1' })
    const missing = (await cluster.terminal('missing')).update.status
    expect(missing).toMatchObject({ state: 'TASK_FAILED', reason: 'REASON_CONTAINER_LAUNCH_FAILED' })
    expect(missing.message).toContain('executable file `no-such-command-x` not found in $PATH')
  }, 120_000)

  test('meso task run --init / --no-init reach the agent as the meso.io/init label', async () => {
    // The raw scheduler holds the offers: it goes, so the CLI's framework gets them.
    await cluster.sched.call('TEARDOWN')
    cluster.sched.close()
    const url = cluster.master.url
    expect(await run(url, ['--', 'sh', '-c', 'echo $$'])).toMatchObject({ code: 0, stdout: '2\n' })
    expect(await run(url, ['--no-init', '--', 'sh', '-c', 'echo $$'])).toMatchObject({ code: 0, stdout: '1\n' })
    expect(await run(url, ['--init', '--', 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\/dev\/init -- sh -c /) })
  }, 120_000)
})

