// The agent's log rotator with real containers (--launcher=linux; docs/containerizer.md, sandbox logs): one
// `meso __logrotate` process per agent reads every container's stdout and stderr from named pipes in its bundle,
// no companion logger per stream; it outlives an agent killed with -9, the restarted agent hands it the re-adopted
// container again, and the container's output goes on being rotated with nothing lost; the test preload's reaper
// (test/helpers/processes.ts) ends the rotator with the test's directory.

import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { startOneAgentCluster, type OneAgentCluster } from '../helpers/one-agent-cluster.ts'
import { reapContainers, startAgent, tempDir, waitFor } from '../helpers/processes.ts'
import { commandTask } from '../helpers/raw-scheduler.ts'
import { sandboxOf } from '../helpers/sandbox-dirs.ts'

const clusters: OneAgentCluster[] = []
afterAll(async () => { for (const c of clusters) await c.stop().catch(() => {}) })

const safeList = (d: string) => { try { return readdirSync(d) } catch { return [] } }

/** Processes whose command line mentions `dir`, by what they run: rotators (`__logrotate`) and companion loggers. */
function loggersUnder(dir: string): { rotators: number[]; companions: number[] } {
  const rotators: number[] = [], companions: number[] = []
  for (const pid of safeList('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    let argv: string[]
    try { argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0') } catch { continue }
    if (!argv.some(a => a.startsWith(dir))) continue
    if (argv.includes('__logrotate')) rotators.push(Number(pid))
    if (argv.includes('meso-logrotate')) companions.push(Number(pid))
  }
  return { rotators, companions }
}

const linux = !linuxLauncherUnavailable({})

describe.skipIf(!linux)('the log rotator, --launcher=linux', () => {
  test('one rotator for the agent; it outlives kill -9 of the agent and the re-adopted container goes on being rotated', async () => {
    const dir = tempDir()
    const flags = ['--launcher=linux', '--resources=cpus:2;mem:1024', '--registration_backoff_factor=100ms', '--logrotate_max_size=4096', '--logrotate_max_files=3']
    const c = await startOneAgentCluster(dir, flags, 'logrotate-daemon')
    clusters.push(c)
    // 3000 bytes of `a`, then (once the test says go, after the agent's restart) 10000 of `b` and an end line.
    const cmd = 'head -c 3000 /dev/zero | tr "\\0" a; echo err >&2; while [ ! -e "$MESOS_SANDBOX/go" ]; do sleep 0.1; done; head -c 10000 /dev/zero | tr "\\0" b; echo END'
    await c.launch(agentId => [commandTask('chatty', agentId, cmd), commandTask('quiet', agentId, 'sleep 600')], { cpus: 0.2, mem: 32 })
    const sandbox = await waitFor('the sandbox', () => sandboxOf(join(dir, 'agent'), 'chatty'), 30_000)
    await waitFor('the first 3000 bytes', () => existsSync(join(sandbox, 'stdout')) && statSync(join(sandbox, 'stdout')).size === 3000, 60_000)
    await waitFor('the other task running', () => c.sched.updates('quiet').some(u => u.state === 'TASK_RUNNING'), 30_000)

    const before = loggersUnder(dir)
    expect(before.rotators.length).toBe(1)
    expect(before.companions).toEqual([])

    await c.agent.kill('SIGKILL')
    c.agent = await startAgent(c.master.url, join(dir, 'agent'), [...flags, `--port=${new URL(c.agent.url).port}`])
    writeFileSync(join(sandbox, 'go'), '')
    const end = await c.terminal('chatty', 60_000)
    expect(end.update.status.state).toBe('TASK_FINISHED')
    // The same rotator (the restarted agent found it) wrote the rest, cut at the limit, nothing lost.
    expect(loggersUnder(dir).rotators).toEqual(before.rotators)
    const written = 'a'.repeat(3000) + 'b'.repeat(10000) + 'END\n'
    await waitFor('the end line in stdout', () => readFileSync(join(sandbox, 'stdout'), 'utf8').endsWith('END\n'), 10_000)
    expect(safeList(sandbox).filter(n => n.startsWith('stdout')).sort()).toEqual(['stdout', 'stdout.1', 'stdout.2'])
    const kept = ['stdout.2', 'stdout.1', 'stdout'].map(f => readFileSync(join(sandbox, f), 'utf8'))
    expect(kept.map(k => k.length)).toEqual([4096, 4096, written.length - 3 * 4096])
    expect(written.endsWith(kept.join(''))).toBe(true)
    expect(readFileSync(join(sandbox, 'stderr'), 'utf8')).toBe('err\n')
    expect(existsSync(join(sandbox, 'stdout.logrotate-error'))).toBe(false)

    // What the test preload does between files: the agent killed (else it would start a new rotator at once, for
    // the container still running), then the rotator goes with the test's directory.
    await c.agent.kill('SIGKILL')
    reapContainers([dir])
    await waitFor('the rotator reaped', () => loggersUnder(dir).rotators.length === 0, 10_000)
  }, 180_000)
})
