// `Accept-Encoding: gzip` on the state answers of a real master (src/core/http/compression.ts) with enough tasks for
// them to be written in slices (src/master/json-stream.ts): simulated agents (bench/sim/) and a framework on the v1
// scheduler API fill the cluster, then real clients (fetch without decompression, and curl --compressed) read
// /master/state, /state.json and GET_STATE both ways and must see the same document.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { startBenchMaster, waitForMetrics, type BenchMaster } from '../../bench/lib/bench-master.ts'
import { GreedyFramework } from '../../bench/lib/greedy-framework.ts'
import { Fleet, SIM_AGENT_RESOURCES } from '../../bench/sim/fleet.ts'
import { STREAM_MIN_ELEMENTS } from '../../src/master/json-stream.ts'

const AGENTS = 520
const TASKS = STREAM_MIN_ELEMENTS + 100

describe('gzip-encoded state answers', () => {
  let master: BenchMaster
  let fleet: Fleet
  let fw: GreedyFramework

  beforeAll(async () => {
    master = await startBenchMaster()
    fleet = await Fleet.start({ master: master.url, agents: AGENTS, resources: SIM_AGENT_RESOURCES, taskMs: -1 })
    await waitForMetrics(master.url, m => m['master/slaves_active'] === AGENTS)
    fw = new GreedyFramework({ master: master.url, name: 'gzip-e2e', maxTasks: TASKS, maxInFlight: 1000 })
    await fw.start()
    const deadline = Date.now() + 90_000
    while (fw.running < TASKS) {
      if (fw.failed || Date.now() > deadline) throw new Error(`${fw.running} of ${TASKS} tasks running (${fw.lastFailure})`)
      await Bun.sleep(100)
    }
    // Every update acknowledged: the documents do not change between the two reads.
    await waitForMetrics(master.url, m => m['master/tasks_running'] === TASKS, 30_000)
  }, 150_000)
  afterAll(async () => {
    await fw?.teardown().catch(() => {})
    await fleet?.stop()
    await master?.stop()
  })

  /** The raw answer (not decompressed by the client) and its headers. */
  const read = async (path: string, acceptEncoding: string, init: RequestInit = {}) => {
    const res = await fetch(`${master.url}${path}`, { ...init, headers: { ...init.headers as Record<string, string>, 'Accept-Encoding': acceptEncoding }, decompress: false } as RequestInit)
    expect(res.status).toBe(200)
    return { headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) }
  }
  const text = (b: Uint8Array) => new TextDecoder().decode(b)

  for (const path of ['/master/state', '/state.json']) {
    test(`${path}: gzip when asked, identity otherwise, the same document`, async () => {
      const plain = await read(path, 'identity')
      expect(plain.headers.has('content-encoding')).toBe(false)
      const zipped = await read(path, 'gzip, deflate')
      expect(zipped.headers.get('content-encoding')).toBe('gzip')
      expect(zipped.headers.get('vary')).toBe('Accept-Encoding')
      expect(zipped.headers.get('content-type')).toBe('application/json')
      expect(zipped.bytes.byteLength).toBeLessThan(plain.bytes.byteLength / 5)
      const a = JSON.parse(text(plain.bytes))
      const b = JSON.parse(text(gunzipSync(zipped.bytes)))
      expect(b.frameworks[0].tasks.length).toBe(TASKS)
      expect(b).toEqual(a)
    }, 60_000)
  }

  test('GET_STATE (v1 operator API, JSON): gzip when asked, the same document', async () => {
    const init = { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: '{"type":"GET_STATE"}' }
    const plain = await read('/api/v1', 'identity', init)
    const zipped = await read('/api/v1', 'gzip', init)
    expect(plain.headers.has('content-encoding')).toBe(false)
    expect(zipped.headers.get('content-encoding')).toBe('gzip')
    const a = JSON.parse(text(plain.bytes))
    const b = JSON.parse(text(gunzipSync(zipped.bytes)))
    expect(b.get_state.get_tasks.tasks.length).toBe(TASKS)
    expect(b).toEqual(a)
  }, 60_000)

  test('curl --compressed reads the gzip answer as the plain one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meso-gzip-e2e-'))
    const curl = async (args: string[]) => {
      // Headers to a file: curl 7.88 crashes writing them to /dev/stderr when that is a pipe.
      const headers = join(dir, 'headers')
      const p = Bun.spawn(['curl', '-sS', '-D', headers, ...args, `${master.url}/master/state`], { stdout: 'pipe', stderr: 'pipe' })
      const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
      expect([code, err]).toEqual([0, ''])
      return { out, headers: readFileSync(headers, 'utf8').toLowerCase() }
    }
    const compressed = await curl(['--compressed'])
    expect(compressed.headers).toContain('content-encoding: gzip')
    const plain = await curl([])
    expect(plain.headers).not.toContain('content-encoding')
    expect(JSON.parse(compressed.out)).toEqual(JSON.parse(plain.out))
    rmSync(dir, { recursive: true, force: true })
  }, 60_000)
})
