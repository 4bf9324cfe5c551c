// Where the fetch sits in a launch (containerizer.ts, upstream's MesosContainerizerProcess::fetch between isolate and
// exec): after the isolators' prepare and before the container is created, so the files are there when the
// launcher looks for the command; a failed fetch fails the launch and releases what the isolators prepared. A fake
// launcher and recording isolators, a real Fetcher reading a local file.

import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Containerizer } from '../../src/agent/containerizer/containerizer.ts'
import type { ContainerLaunch } from '../../src/agent/containerizer/launcher.ts'
import { Fetcher } from '../../src/agent/fetcher/fetcher.ts'
import { FakeLauncher, recordingIsolator } from '../helpers/fake-launcher.ts'
import { agentFlags, res } from '../helpers/isolation.ts'

const root = mkdtempSync(join(tmpdir(), 'meso-fetch-ctr-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

function harness() {
  const calls: string[] = []
  const launcher = new FakeLauncher(calls, 'linux')
  const create = launcher.create.bind(launcher)
  const seenAtCreate: boolean[] = []
  launcher.create = async (l: ContainerLaunch) => { seenAtCreate.push(existsSync(join(l.sandbox, 'tool.sh'))); return create(l) }
  const fetcher = new Fetcher({ cacheDir: join(root, 'cache'), cacheSize: 1 << 20, stallTimeoutMs: 5000, switchUser: false })
  const containerizer = new Containerizer({ launcher, isolators: [recordingIsolator('a', calls)], fetcher, flags: agentFlags() })
  return { calls, containerizer, seenAtCreate }
}

describe('the fetch step of a launch', () => {
  const tool = join(root, 'tool.sh')
  writeFileSync(tool, '#!/bin/sh\necho hi\n')

  test('after prepare, before create: the fetched file is in the sandbox when the container is created', async () => {
    const { calls, containerizer, seenAtCreate } = harness()
    const sandbox = join(root, 'sb1')
    mkdirSync(sandbox)
    await containerizer.launch({ containerId: 'c1', sandbox, argv: ['./tool.sh'], command: { value: './tool.sh', uris: [{ value: tool, executable: true }] }, env: {}, resources: res('cpus:1;mem:64') })
    expect(seenAtCreate).toEqual([true])
    expect(calls.indexOf('a.prepare c1')).toBeLessThan(calls.indexOf('launcher.create c1'))
  })

  test('a failed fetch fails the launch before create and releases the isolators', async () => {
    const { calls, containerizer } = harness()
    const sandbox = join(root, 'sb2')
    mkdirSync(sandbox)
    await expect(containerizer.launch({ containerId: 'c2', sandbox, argv: ['true'], command: { value: 'true', uris: [{ value: join(root, 'missing.tgz') }] }, env: {}, resources: res('cpus:1;mem:64') }))
      .rejects.toThrow(`Failed to fetch '${join(root, 'missing.tgz')}': Failed to read '${join(root, 'missing.tgz')}': ENOENT`)
    expect(calls).not.toContain('launcher.create c2')
    expect(calls).toContain('a.cleanup c2')
  })
})
