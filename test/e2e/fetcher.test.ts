// CommandInfo.uris end to end (issue 16, the fetcher): a real master and agent, a raw v1 scheduler as any Mesos
// framework would write it, and a real HTTP server on loopback. The task finds its files in the sandbox before it
// starts (a redirect followed, a tarball unpacked, an executable with output_file), a 404 fails the task with
// TASK_FAILED / REASON_CONTAINER_LAUNCH_FAILED naming the URI, a cached URI is downloaded once for two tasks, and
// `meso task run --uri` does the same from the CLI.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { startOneAgentCluster, type OneAgentCluster } from '../helpers/one-agent-cluster.ts'
import { meso, tempDir, waitFor } from '../helpers/processes.ts'
import { commandTask } from '../helpers/raw-scheduler.ts'

const clusters: OneAgentCluster[] = []
afterAll(async () => { for (const c of clusters) await c.stop().catch(() => {}) })

const files = new Map<string, Uint8Array>()
const hits = new Map<string, number>()
let server: ReturnType<typeof Bun.serve>
let base = ''

beforeAll(() => {
  const dir = tempDir()
  mkdirSync(join(dir, 'pkg'))
  writeFileSync(join(dir, 'pkg/data.txt'), 'unpacked\n')
  const tar = Bun.spawnSync(['tar', '-czf', join(dir, 'pkg.tar.gz'), '-C', dir, 'pkg'])
  if (tar.exitCode !== 0) throw new Error(tar.stderr.toString())
  files.set('pkg.tar.gz', readFileSync(join(dir, 'pkg.tar.gz')))
  files.set('hello.txt', new TextEncoder().encode('hello\n'))
  files.set('tool.sh', new TextEncoder().encode('#!/bin/sh\necho tool ran\n'))
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname
      hits.set(`${req.method} ${path}`, (hits.get(`${req.method} ${path}`) ?? 0) + 1)
      if (path.startsWith('/moved/')) return new Response(null, { status: 302, headers: { location: path.replace('/moved/', '/files/') } })
      const body = files.get(path.split('/').pop()!)
      return body ? new Response(req.method === 'HEAD' ? null : body, { headers: { 'content-length': String(body.byteLength) } }) : new Response('no such file', { status: 404 })
    },
  })
  base = `http://127.0.0.1:${server.port}`
})
afterAll(() => server?.stop(true))

/** A sandbox file's content once it has some: the companion loggers may write a short task's output after its exit. */
const output = (path: string) => waitFor(path, () => { try { return readFileSync(path, 'utf8') || undefined } catch { return undefined } }, 10_000)

/** The host directory of a command task's latest run (its executor id is its task id). */
function sandboxOf(agentDir: string, taskId: string): string {
  const slaves = join(agentDir, 'slaves')
  for (const s of readdirSync(slaves)) {
    for (const f of readdirSync(join(slaves, s, 'frameworks'))) return join(slaves, s, 'frameworks', f, 'executors', taskId, 'runs', 'latest')
  }
  throw new Error('no sandbox')
}

const launchers = linuxLauncherUnavailable({}) ? ['posix'] : ['posix', 'linux']

for (const launcher of launchers) {
  describe(`fetcher, --launcher=${launcher}`, () => {
    test('a framework\'s URIs are in the sandbox when its task starts; a 404 fails the task and names the URI', async () => {
      const dir = tempDir()
      const c = await startOneAgentCluster(dir, [`--launcher=${launcher}`, '--resources=cpus:2;mem:1024'], `fetcher-${launcher}`)
      clusters.push(c)
      const ok = { ...commandTask('fetch-ok', '', 'cat hello.txt pkg/data.txt && ./bin/tool'), command: {
        value: 'cat hello.txt pkg/data.txt && ./bin/tool',
        uris: [{ value: `${base}/moved/hello.txt` }, { value: `${base}/files/pkg.tar.gz` }, { value: `${base}/files/tool.sh`, executable: true, output_file: 'bin/tool' }],
      } }
      const missing = { ...commandTask('fetch-404', '', 'true'), command: { value: 'true', uris: [{ value: `${base}/files/hello.txt` }, { value: `${base}/files/missing.tgz` }] } }
      await c.launch(agentId => [ok, missing].map(t => ({ ...t, agent_id: { value: agentId } })), { cpus: 0.2, mem: 32 })
      const finished = await c.terminal('fetch-ok')
      expect(finished.update.status.state).toBe('TASK_FINISHED')
      const sandbox = sandboxOf(join(dir, 'agent'), 'fetch-ok')
      expect(await output(join(sandbox, 'stdout'))).toBe('hello\nunpacked\ntool ran\n')
      expect(statSync(join(sandbox, 'bin/tool')).mode & 0o777).toBe(0o755)
      expect(readFileSync(join(sandbox, 'stderr'), 'utf8')).toContain(`Successfully fetched all URIs into '`)
      const failed = (await c.terminal('fetch-404')).update.status
      expect({ state: failed.state, reason: failed.reason, source: failed.source }).toEqual({ state: 'TASK_FAILED', reason: 'REASON_CONTAINER_LAUNCH_FAILED', source: 'SOURCE_AGENT' })
      expect(failed.message).toBe(`Failed to launch container: Failed to fetch '${base}/files/missing.tgz': Error downloading resource, received HTTP return code 404`)
      // The task never ran: its sandbox holds only what was fetched before the failure, and the fetcher's log.
      const failedSandbox = sandboxOf(join(dir, 'agent'), 'fetch-404')
      expect(readdirSync(failedSandbox).sort()).toEqual(['hello.txt', 'stderr'])
      expect(readFileSync(join(failedSandbox, 'stderr'), 'utf8')).toContain(`Failed to fetch '${base}/files/missing.tgz'`)
    }, 120_000)
  })
}

test('the fetcher cache serves the second task; meso task run --uri fetches from the CLI', async () => {
  const dir = tempDir()
  const c = await startOneAgentCluster(dir, ['--resources=cpus:2;mem:1024'], 'fetcher-cache')
  clusters.push(c)
  const cached = (id: string) => ({ ...commandTask(id, '', 'cat pkg/data.txt'), command: { value: 'cat pkg/data.txt', uris: [{ value: `${base}/cache/pkg.tar.gz`, cache: true }] } })
  for (const id of ['cached-1', 'cached-2']) {
    await c.launch(agentId => [{ ...cached(id), agent_id: { value: agentId } }])
    expect((await c.terminal(id)).update.status.state).toBe('TASK_FINISHED')
    expect(await output(join(sandboxOf(join(dir, 'agent'), id), 'stdout'))).toBe('unpacked\n')
  }
  expect(hits.get('GET /cache/pkg.tar.gz')).toBe(1)

  // The raw scheduler holds its offers; it goes, so that the CLI's framework gets them.
  await c.sched.call('TEARDOWN')
  const run = await meso(['task', 'run', `--master=${c.master.url}`, '--timeout=30', '--uri', `${base}/files/tool.sh,executable=true,output_file=tool`, '--', 'sh', '-c', './tool'], { timeoutMs: 90_000 })
  expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 0, stdout: 'tool ran\n' })
  // The sandbox's stderr starts with the fetcher's log, as in Mesos; the CLI shows the sandbox's stderr.
  expect(run.stderr).toContain(`fetcher] Fetched '${base}/files/tool.sh' to '`)
  const bad = await meso(['task', 'run', `--master=${c.master.url}`, '--timeout=30', '--uri', `${base}/files/nope.txt`, '--', 'true'], { timeoutMs: 90_000 })
  expect(bad.code).toBe(125)
  expect(bad.stderr).toContain(`Failed to fetch '${base}/files/nope.txt': Error downloading resource, received HTTP return code 404`)
}, 180_000)
