// Sandbox log rotation (--logrotate_max_size, --logrotate_max_files; docs/containerizer.md, logging): a task writing
// 200 MB keeps its sandbox under the limit with both launchers, even across an agent killed with -9 mid-stream;
// `meso task logs` prints the rotated history, `-f` follows across rotations without losing or repeating a line,
// and `--stream both` interleaves stdout and stderr in arrival order.

import { afterAll, describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { startOneAgentCluster, type OneAgentCluster } from '../helpers/one-agent-cluster.ts'
import { MESO, meso, startAgent, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'
import { commandTask } from '../helpers/raw-scheduler.ts'
import { sandboxOf } from '../helpers/sandbox-dirs.ts'

const MB = 1024 * 1024
const clusters: OneAgentCluster[] = []
const daemons: Daemon[] = []
afterAll(async () => {
  for (const c of clusters) await c.stop().catch(() => {})
  for (const d of daemons) await d.kill('SIGKILL').catch(() => {})
})

const safeList = (d: string) => { try { return readdirSync(d) } catch { return [] } }
const safeStat = (p: string) => { try { return statSync(p) } catch { return undefined } }

/** Bytes of the sandbox's own files (stdout, stdout.1, …; not the task's tmp dirs). */
function logBytes(sandbox: string): number {
  return safeList(sandbox).filter(n => /^(stdout|stderr)(\.\d+)?$/.test(n)).reduce((n, f) => n + (safeStat(join(sandbox, f))?.size ?? 0), 0)
}

const LINE = 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789'
const launchers = linuxLauncherUnavailable({}) ? ['posix'] : ['posix', 'linux']

for (const launcher of launchers) {
  describe(`log rotation, --launcher=${launcher}`, () => {
    test('a task writing 200 MB keeps its sandbox under max_size × max_files per stream, across an agent restart', async () => {
      const dir = tempDir()
      const flags = [`--launcher=${launcher}`, '--resources=cpus:2;mem:1024', '--registration_backoff_factor=100ms', '--logrotate_max_size=1MB', '--logrotate_max_files=3']
      const c = await startOneAgentCluster(dir, flags, 'logrotate')
      clusters.push(c)
      // 100 MB, a pause in which the agent is killed and restarted, 100 MB more; a line on stderr at both ends.
      const cmd = `echo begin >&2; yes ${LINE} | head -c 100000000; sleep 3; yes ${LINE} | head -c 100000000; echo; echo END; echo end >&2`
      await c.launch(agentId => [commandTask('chatty', agentId, cmd, { cpus: 0.5, mem: 64 })])
      const sandbox = await waitFor('the sandbox', () => sandboxOf(join(dir, 'agent'), 'chatty'), 30_000)
      let peak = 0
      const sample = setInterval(() => { peak = Math.max(peak, logBytes(sandbox)) }, 20)
      try {
        await waitFor('the first 100 MB', () => (safeStat(join(sandbox, 'stdout.2'))?.size ?? 0) > 0, 60_000)
        await c.agent.kill('SIGKILL')
        c.agent = await startAgent(c.master.url, join(dir, 'agent'), [...flags, `--port=${new URL(c.agent.url).port}`])
        const end = await c.terminal('chatty', 120_000)
        expect(end.update.status.state).toBe('TASK_FINISHED')
      } finally {
        clearInterval(sample)
      }
      peak = Math.max(peak, logBytes(sandbox))
      const files = safeList(sandbox).filter(n => n.startsWith('stdout')).sort()
      expect(files).toEqual(['stdout', 'stdout.1', 'stdout.2'])
      expect(statSync(join(sandbox, 'stdout.1')).size).toBe(MB)
      expect(statSync(join(sandbox, 'stdout.2')).size).toBe(MB)
      // Two streams of at most 3 files of 1 MB each; stderr is tiny.
      expect(peak).toBeLessThanOrEqual(3 * MB + 100)
      console.log(`  ${launcher}: 200 MB written, sandbox logs peaked at ${(peak / MB).toFixed(2)} MB`)
      // Nothing lost or garbled in what is kept: whole lines across the file boundaries, the end intact.
      const kept = ['stdout.2', 'stdout.1', 'stdout'].map(f => readFileSync(join(sandbox, f), 'utf8')).join('')
      const lines = kept.split('\n')
      expect(lines.slice(-2)).toEqual(['END', ''])
      // The first kept line may start mid-line, and `head -c` ended the last one mid-line.
      expect(lines.slice(1, -3).every(l => l === LINE)).toBe(true)
      expect(readFileSync(join(sandbox, 'stderr'), 'utf8')).toBe('begin\nend\n')
      // `task logs` prints the history the sandbox keeps, oldest first.
      const logs = await meso(['task', 'logs', `--master=${c.master.url}`, 'chatty'], { timeoutMs: 60_000 })
      expect(logs.code).toBe(0)
      expect(logs.stdout.length).toBe(kept.length)
      expect(logs.stdout === kept).toBe(true)
    }, 240_000)

    test('task logs -f follows across rotations without losing or repeating a line', async () => {
      const dir = tempDir()
      const c = await startOneAgentCluster(dir, [`--launcher=${launcher}`, '--resources=cpus:2;mem:1024', '--logrotate_max_size=256KB', '--logrotate_max_files=20'], 'logrotate-follow')
      clusters.push(c)
      // 30 bursts of 1000 numbered lines (~70 KB), 200 ms apart: about 8 rotations while the follower reads.
      const cmd = `i=0; while [ $i -lt 30 ]; do seq -f "%06g ${LINE.slice(0, 60)}" $((i*1000+1)) $((i*1000+1000)); sleep 0.2; i=$((i+1)); done`
      await c.launch(agentId => [commandTask('ticker', agentId, cmd)])
      await waitFor('the task to run', () => c.sched.updates('ticker').some(u => u.state === 'TASK_RUNNING'), 30_000)
      const f = await meso(['task', 'logs', '-f', `--master=${c.master.url}`, 'ticker'], { timeoutMs: 90_000 })
      expect(f.code).toBe(0)
      expect(f.stderr).toBe('')
      const got = f.stdout.split('\n').filter(Boolean).map(l => Number(l.slice(0, 6)))
      expect(got.length).toBe(30_000)
      expect(got.every((n, i) => n === i + 1)).toBe(true)
      const sandbox = sandboxOf(join(dir, 'agent'), 'ticker')!
      expect(safeList(sandbox).filter(n => n.startsWith('stdout.')).length).toBeGreaterThanOrEqual(5)
    }, 180_000)
  })
}

test('task logs --stream both interleaves stdout and stderr in arrival order while following', async () => {
  const dir = tempDir()
  const c = await startOneAgentCluster(dir, ['--launcher=posix', '--resources=cpus:2;mem:1024'], 'logrotate-both')
  clusters.push(c)
  await c.launch(agentId => [commandTask('talker', agentId, 'sleep 1; for i in 1 2 3 4; do echo out$i; sleep 0.5; echo err$i >&2; sleep 0.5; done')])
  await waitFor('the task to run', () => c.sched.updates('talker').some(u => u.state === 'TASK_RUNNING'), 30_000)
  // One pipe for both of the command's streams, as a terminal would show them.
  const quoted = [...MESO, 'task', 'logs', '-f', '--stream', 'both', `--master=${c.master.url}`, 'talker'].map(a => `'${a}'`).join(' ')
  const proc = Bun.spawn(['sh', '-c', `${quoted} 2>&1`], { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } })
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited])
  expect(code).toBe(0)
  expect(out).toBe('out1\nerr1\nout2\nerr2\nout3\nerr3\nout4\nerr4\n')
  // History has no arrival order between the two files: each stream on its own stream.
  const h = await meso(['task', 'logs', '--stream', 'both', `--master=${c.master.url}`, 'talker'])
  expect(h.stdout).toBe('out1\nout2\nout3\nout4\n')
  expect(h.stderr).toBe('err1\nerr2\nerr3\nerr4\n')
  const bad = await meso(['task', 'logs', '--stderr', '--stream', 'stdout', `--master=${c.master.url}`, 'talker'])
  expect(bad.code).toBe(2)
}, 120_000)
