// The container init (src/agent/containerizer/container-init.ts): when a container gets it, how the spec runs it,
// which binaries qualify (static ELF only), the opt-out label, and the command check made in its place
// (linux/command-lookup.ts). The kill latency it buys is measured end to end in test/e2e/launcher-refusals.test.ts
// and bench/kill.ts.

import { describe, expect, test } from 'bun:test'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findContainerInit, initFromLabels, INIT_PATH, isStaticElf, useInit, withInit, type ContainerInit } from '../../src/agent/containerizer/container-init.ts'
import { lookupCommand } from '../../src/agent/containerizer/linux/command-lookup.ts'
import { buildSpec } from '../../src/agent/containerizer/linux/spec-builder.ts'
import { createIsolators, isolatorSetup } from '../../src/agent/isolators/index.ts'
import { Resources } from '../../src/core/resources.ts'
import { agentFlags, isolationContext, res } from '../helpers/isolation.ts'

const CATATONIT: ContainerInit = { path: '/usr/bin/catatonit', kind: 'catatonit' }

test('the meso.io/init label: true, false, absent; anything else is an error', () => {
  expect(initFromLabels(undefined)).toBeUndefined()
  expect(initFromLabels({ labels: [{ key: 'other', value: 'x' }] })).toBeUndefined()
  expect(initFromLabels({ labels: [{ key: 'meso.io/init', value: 'true' }] })).toBe(true)
  expect(initFromLabels({ labels: [{ key: 'meso.io/init', value: 'false' }] })).toBe(false)
  expect(() => initFromLabels({ labels: [{ key: 'meso.io/init', value: 'yes' }] })).toThrow("label meso.io/init must be 'true' or 'false', got 'yes'")
})

test('useInit: by default where the task would be PID 1; as asked otherwise; never without a binary', () => {
  expect(useInit(undefined, true, true)).toBe(true)
  expect(useInit(undefined, false, true)).toBe(false)
  expect(useInit(false, true, true)).toBe(false)
  expect(useInit(true, false, true)).toBe(true)
  expect(useInit(true, true, false)).toBe(false)
})

test('withInit puts the init in front of the argv and binds it read-only at /dev/init', () => {
  const spec = { process: { args: ['sleep', '60'] }, mounts: [] as { destination: string; type: string; source: string; options?: string[] }[] }
  withInit(spec as never, CATATONIT)
  expect(spec.process.args).toEqual([INIT_PATH, '--', 'sleep', '60'])
  expect(spec.mounts).toEqual([{ destination: '/dev/init', type: 'bind', source: '/usr/bin/catatonit', options: ['bind', 'ro', 'nosuid', 'nodev'] }])
  const tini = { process: { args: ['x'] }, mounts: [] }
  withInit(tini as never, { path: '/usr/bin/tini-static', kind: 'tini' })
  expect(tini.process.args).toEqual([INIT_PATH, '-s', '--', 'x'])
})

describe('which binaries qualify', () => {
  test('static ELF files only: a dynamic one would need the image to have its libc', () => {
    const sh = readFileSync('/bin/sh')
    expect(isStaticElf(sh)).toBe(false)
    expect(isStaticElf(new TextEncoder().encode('#!/bin/sh\necho not elf\n'))).toBe(false)
    expect(isStaticElf(new Uint8Array(0))).toBe(false)
  })

  test.skipIf(!Bun.which('catatonit'))('Debian\'s catatonit is static and found first', () => {
    expect(isStaticElf(readFileSync(Bun.which('catatonit')!))).toBe(true)
    const found = findContainerInit()
    expect(found).toMatchObject({ kind: 'catatonit' })
  })

  test('none installed, or only dynamic ones: says why', () => {
    expect(findContainerInit(() => null)).toEqual({ missing: 'catatonit is not installed' })
    // /bin/sh stands in for a dynamically linked init found on PATH.
    const found = findContainerInit(n => (n === 'tini-static' ? '/bin/sh' : null))
    expect('missing' in found && found.missing).toMatch(/is not statically linked$/)
  })
})

describe('buildSpec', () => {
  const bundle = () => mkdtempSync(join(tmpdir(), 'meso-init-spec-'))
  async function spec(over: { argv?: string[]; init?: boolean; parentPid?: number; installed?: ContainerInit } = {}) {
    const isolators = await createIsolators(isolatorSetup({ flags: agentFlags(), launcher: 'linux', runtimeDir: tmpdir(), offer: { resources: Resources.EMPTY, attributes: [] } }))
    const dir = bundle()
    const ctx = isolationContext(over.parentPid ? { parent: { containerId: 'p', pid: over.parentPid, sandbox: '/h/p' } } : {})
    try {
      return buildSpec({
        launch: { containerId: 'c1', sandbox: '/h/sandbox', argv: over.argv ?? ['sleep', '60'], env: {}, resources: res('cpus:0.1;mem:32'), init: over.init, isolate: s => { for (const i of isolators) i.isolate?.(s, ctx) } },
        bundle: dir, cgroupsPath: '/meso/c1', flags: agentFlags(), hostRoot: [{ name: 'usr', kind: 'dir' }, { name: 'bin', kind: 'symlink', target: 'usr/bin' }],
        parentPid: over.parentPid, init: 'installed' in over ? over.installed : CATATONIT,
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }

  test('a container with its own pid namespace runs the init as PID 1 by default', async () => {
    const s = await spec()
    expect(s.process.args).toEqual(['/dev/init', '--', 'sleep', '60'])
    expect(s.mounts.at(-1)).toMatchObject({ destination: '/dev/init', source: '/usr/bin/catatonit' })
    // After /dev's tmpfs, so the bind lands inside it.
    expect(s.mounts.findIndex(m => m.destination === '/dev')).toBeLessThan(s.mounts.length - 1)
  })

  test('--no-init, a nested container (its parent\'s PID 1 reaps) and an agent without an init: the task is the process', async () => {
    expect((await spec({ init: false })).process.args).toEqual(['sleep', '60'])
    expect((await spec({ parentPid: process.pid })).process.args).toEqual(['sleep', '60'])
    expect((await spec({ installed: undefined })).process.args).toEqual(['sleep', '60'])
    // Asked for explicitly, a nested container gets one too (as a subreaper).
    expect((await spec({ parentPid: process.pid, init: true })).process.args).toEqual(['/dev/init', '--', 'sleep', '60'])
  })

  test('a command that does not exist still fails the launch, as crun would without the init', async () => {
    await expect(spec({ argv: ['no-such-command-x'] })).rejects.toThrow('executable file `no-such-command-x` not found in $PATH: No such file or directory')
    await expect(spec({ argv: ['/usr/bin/no-such'] })).rejects.toThrow('executable file `/usr/bin/no-such` not found')
    // What the host cannot see (the sandbox) is left to the init: it may well exist in the container.
    expect((await spec({ argv: ['./run.sh'] })).process.args).toEqual(['/dev/init', '--', './run.sh'])
    // /tmp is a fresh tmpfs in the container: nothing is there when the command starts.
    await expect(spec({ argv: ['/tmp/x'] })).rejects.toThrow('executable file `/tmp/x` not found')
  })
})

test('lookupCommand resolves symlinks inside an image root, not on the host', () => {
  const root = mkdtempSync(join(tmpdir(), 'meso-lookup-'))
  try {
    mkdirSync(join(root, 'usr/bin'), { recursive: true })
    symlinkSync('usr/bin', join(root, 'bin'))
    writeFileSync(join(root, 'usr/bin/busybox'), '')
    chmodSync(join(root, 'usr/bin/busybox'), 0o755)
    // An absolute link starts again from the image's root.
    symlinkSync('/usr/bin/busybox', join(root, 'usr/bin/sh'))
    writeFileSync(join(root, 'usr/bin/data'), '')
    const r = { root, opaque: ['/mnt/mesos/sandbox'] }
    expect(lookupCommand('sh', '/bin', '/', r)).toBe('found')
    expect(lookupCommand('/bin/sh', undefined, '/', r)).toBe('found')
    expect(lookupCommand('data', '/usr/bin', '/', r)).toBe('missing') // not executable
    expect(lookupCommand('bash', '/usr/bin:/bin', '/', r)).toBe('missing')
    expect(lookupCommand('./x', undefined, '/mnt/mesos/sandbox', r)).toBe('unknown')
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

test('lookupCommand: inside a fresh tmpfs nothing exists, except under a host directory bound to itself there', () => {
  const r = { root: '/', opaque: ['/mnt/volume'], empty: ['/tmp'], visible: ['/tmp/work/sandbox'] }
  // A PATH entry under /tmp (npm puts node_modules/.bin first) cannot hold the command in the container.
  expect(lookupCommand('no-such-command-x', '/tmp/ci/node_modules/.bin:/usr/bin', '/', r)).toBe('missing')
  expect(lookupCommand('sh', '/tmp/ci/node_modules/.bin:/bin', '/', r)).toBe('found')
  // Below a self-bound directory inside the tmpfs the host's view holds; above a mount point nothing is judged.
  expect(lookupCommand('/tmp/work/sandbox/nope', undefined, '/', r)).toBe('missing')
  expect(lookupCommand('/tmp/work/x', undefined, '/', { ...r, visible: ['/tmp/work/x/sandbox'] })).toBe('missing') // a directory
})
