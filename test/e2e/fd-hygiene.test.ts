// A real agent (linux launcher: crun under conmon) held to a small open-file limit runs 200 tasks through the master,
// 10 at a time: every one finishes, the agent's own fd count (/proc/<pid>/fd) comes back to where it was, and no
// container cgroup is left behind. Before conmon's sync socket was closed (docs/security-files.md) each launch kept one fd,
// so past the limit every launch failed with EMFILE and the destroys that followed left cgroups behind.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { cgroupsLeft, removeCgroupRoot } from '../helpers/cgroup-root.ts'
import { startOneAgentCluster, type OneAgentCluster } from '../helpers/one-agent-cluster.ts'
import { tempDir } from '../helpers/processes.ts'
import { commandTask } from '../helpers/raw-scheduler.ts'

const problem = linuxLauncherUnavailable({}) ?? (Bun.which('prlimit') ? undefined : 'prlimit (util-linux) is not installed')
if (problem) console.warn(`\n*** SKIPPING agent fd hygiene e2e: ${problem} ***\n`)
const suite = problem ? describe.skip : describe

const cgroupsRoot = `meso-fde2e-${crypto.randomUUID().slice(0, 8)}`
let cluster: OneAgentCluster

const agentPid = () => cluster.agent.proc.pid
const fds = () => readdirSync(`/proc/${agentPid()}/fd`)
/** TCP sockets' inodes (/proc/net/tcp{,6}, 10th column): HTTP and master connections come and go on their own. */
function tcpInodes(pid: number): Set<string> {
  const inodes = new Set<string>()
  for (const f of ['tcp', 'tcp6']) {
    try { for (const line of readFileSync(`/proc/${pid}/net/${f}`, 'utf8').split('\n').slice(1)) { const ino = line.trim().split(/\s+/)[9]; if (ino) inodes.add(ino) } } catch { /* no IPv6 */ }
  }
  return inodes
}
/** The agent's open fds other than TCP connections: files, pipes, unix sockets (conmon's sync socket was one). */
const agentFiles = () => {
  const tcp = tcpInodes(agentPid())
  return fds().filter(fd => {
    try { return !tcp.has(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${agentPid()}/fd/${fd}`))?.[1] ?? '') } catch { return false }
  }).length
}

/** Launches `count` `true` tasks on one offer and waits for all of them to end; returns their terminal states. */
async function round(prefix: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`)
  await cluster.launch(agentId => ids.map(id => commandTask(id, agentId, 'true', { cpus: 0.1, mem: 32 })), { cpus: count * 0.1, mem: count * 32 })
  const ends = await Promise.all(ids.map(id => cluster.terminal(id)))
  return ends.map(e => `${e.update.status.state}${e.update.status.message ? ` (${e.update.status.message})` : ''}`)
}

suite('agent fd hygiene', () => {
  beforeAll(async () => {
    cluster = await startOneAgentCluster(tempDir('meso-fd-e2e-'), ['--launcher=linux', '--resources=cpus:64;mem:65536', `--cgroups_root=${cgroupsRoot}`], 'fd-hygiene')
  }, 60_000)
  afterAll(async () => {
    await cluster?.stop()
    removeCgroupRoot(cgroupsRoot)
  })

  test('200 tasks, 10 at a time, on an agent limited to baseline+150 open files: all finish, the fd count returns, no cgroup is left', async () => {
    expect((await round('warmup', 2)).filter(s => !s.startsWith('TASK_FINISHED'))).toEqual([])
    await Bun.sleep(200)
    const before = agentFiles()
    // Room for 10 launches at once (each holds a few pipes while it runs), not for 200 leaked fds.
    const limit = fds().length + 150
    expect(Bun.spawnSync(['prlimit', `--pid=${agentPid()}`, `--nofile=${limit}:${limit}`]).exitCode).toBe(0)
    const states: string[] = []
    for (let r = 0; r < 20; r++) states.push(...await round(`r${r}`, 10))
    const failed = states.filter(s => !s.startsWith('TASK_FINISHED'))
    await Bun.sleep(200)
    const after = agentFiles()
    console.log(`200 tasks under RLIMIT_NOFILE ${limit}: ${failed.length} not finished; agent files ${before} before, ${after} after; ${fds().length} fds in all`)
    expect(failed.slice(0, 3)).toEqual([])
    expect(after).toBeLessThanOrEqual(before + 2)
    expect(cgroupsLeft(cgroupsRoot)).toEqual([])
  }, 240_000)
})
