// The files API against a hostile task (docs/security-files.md): a real task swaps a file in its sandbox for a
// symlink to a mode-600 host file, and a directory for a symlink to the host directory holding it, in a tight loop,
// while 10,000 requests hit the agent — /files/read (by host path and by the runs/latest alias), /files/download,
// /files/browse, READ_FILE and LIST_FILES. Not one answer may carry the secret or the secret directory's names, and
// the agent's open files are where they were. With the posix launcher, and in a crun container (linux launcher).

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chmodSync, mkdirSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { startOneAgentCluster, type OneAgentCluster } from '../helpers/one-agent-cluster.ts'
import { tempDir, waitFor } from '../helpers/processes.ts'
import { commandTask } from '../helpers/raw-scheduler.ts'
import { SWAP_DECOY, SWAPPER_PY } from '../helpers/symlink-swapper.ts'

const linuxProblem = linuxLauncherUnavailable({})
if (linuxProblem) console.warn(`\n*** SKIPPING the files race in a crun container: ${linuxProblem} ***\n`)
const launchers = linuxProblem ? ['posix'] : ['posix', 'linux']

const SECRET = `TOPSECRET-${crypto.randomUUID()}`

/** The task's command: it writes the swapper into its sandbox (a container has its own /tmp) and runs it there. */
const swapperCommand = (secretDir: string) =>
  `printf %s ${Buffer.from(SWAPPER_PY).toString('base64')} | base64 -d > swapper.py && exec /usr/bin/python3 swapper.py "$MESOS_SANDBOX" ${secretDir}`

describe.each(launchers)('a hostile task (%s launcher)', launcher => {
  let cluster: OneAgentCluster
  const agent = () => cluster.agent
  let sandbox = '', latest = ''

  beforeAll(async () => {
    const dir = tempDir('meso-files-race-')
    const secretDir = join(dir, 'host-secrets')
    mkdirSync(secretDir)
    writeFileSync(join(secretDir, 'f'), SECRET, { mode: 0o600 })
    writeFileSync(join(secretDir, 'TOPSECRET-name'), '', { mode: 0o600 })
    chmodSync(secretDir, 0o700)
    cluster = await startOneAgentCluster(dir, [`--launcher=${launcher}`, '--resources=cpus:1;mem:512'], `hostile-${launcher}`)
    await cluster.launch(agentId => [commandTask('swapper', agentId, swapperCommand(secretDir), { cpus: 0.5, mem: 128 })], { cpus: 0.5, mem: 128 })
    await cluster.sched.next(e => e.type === 'UPDATE' && e.update.status.state === 'TASK_RUNNING')
    const state = await (await fetch(`${agent().url}/state`)).json() as any
    sandbox = state.frameworks[0].executors[0].directory
    latest = `/frameworks/${cluster.sched.frameworkId}/executors/swapper/runs/latest`
    await waitFor('the swapper to run', () => readdirSync(sandbox).includes('f'))
  }, 60_000)

  afterAll(() => cluster?.stop())

  /** The agent's open files, sockets left out (the test's keep-alive connections come and go). */
  const agentFiles = () => readdirSync(`/proc/${agent().proc.pid}/fd`).filter(fd => {
    try { return !readlinkSync(`/proc/${agent().proc.pid}/fd/${fd}`).startsWith('socket:') } catch { return false }
  }).length

  /** One request of the mix, as text: whatever comes back is searched for the secret. */
  function request(i: number): Promise<{ status: number; text: string }> {
    const q = (op: string, path: string, extra = '') => fetch(`${agent().url}/files/${op}?path=${encodeURIComponent(path)}${extra}`)
    const call = (body: unknown) => fetch(`${agent().url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) })
    const base = i % 2 ? sandbox : latest
    const pick = i % 10
    const res = pick < 4 ? q('read', `${base}/f`, '&offset=0')
      : pick === 4 ? q('read', `${base}/d/f`, '&offset=0')
      : pick === 5 ? q('download', `${base}/f`)
      : pick === 6 ? q('browse', `${base}/d`)
      : pick === 7 ? call({ type: 'READ_FILE', read_file: { path: `${base}/f`, offset: 0 } })
      : pick === 8 ? call({ type: 'READ_FILE', read_file: { path: `${base}/d/f`, offset: 0 } })
      : call({ type: 'LIST_FILES', list_files: { path: `${base}/d` } })
    return res.then(async r => {
      const body = await r.text()
      // READ_FILE answers base64.
      const decoded = r.ok && body.includes('"read_file"') ? Buffer.from(JSON.parse(body).read_file.data, 'base64').toString() : ''
      return { status: r.status, text: body + decoded }
    })
  }

  test('10,000 files API requests while the task swaps its files for symlinks to a mode-600 host file: the secret never leaks', async () => {
    const before = agentFiles()
    const statuses = new Map<number, number>()
    let leaks = 0, decoys = 0, next = 0
    const worker = async () => {
      while (next < 10_000) {
        const r = await request(next++)
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
        if (r.text.includes('TOPSECRET')) leaks++
        else if (r.text.includes(SWAP_DECOY) || r.text.includes(Buffer.from(SWAP_DECOY).toString('base64'))) decoys++
      }
    }
    await Promise.all(Array.from({ length: 8 }, worker))
    console.log(`${launcher} launcher, 10,000 requests: ${leaks} leaks, ${decoys} answers with the decoy, statuses ${JSON.stringify(Object.fromEntries(statuses))}`)
    expect(leaks).toBe(0)
    // The race was on: some requests found the real file, others a symlink (403) or nothing mid-swap (404).
    expect(decoys).toBeGreaterThan(100)
    expect((statuses.get(403) ?? 0) + (statuses.get(404) ?? 0)).toBeGreaterThan(100)
    expect([...statuses.keys()].every(s => [200, 400, 403, 404].includes(s))).toBe(true)
    // Nothing opened for a request outlives it (the agent may close one of its own meanwhile, e.g. an ended task's
    // log file, so fewer is fine; more is a leak).
    expect(agentFiles()).toBeLessThanOrEqual(before)
  }, 120_000)
})
