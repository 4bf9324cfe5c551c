// Starting a created container: crun's exec fifo written directly when its init waits on it, else `<runtime> start`.

import { expect, test } from 'bun:test'
import { chmodSync, closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OciRuntime } from '../../src/agent/containerizer/oci-runtime.ts'

/** A stand-in runtime binary called `name` that records its arguments. */
function fakeRuntime(dir: string, name: string): { binary: string; calls: () => string } {
  const binary = join(dir, name)
  const log = join(dir, `${name}.calls`)
  writeFileSync(binary, `#!/bin/sh\necho "$@" >> ${log}\n`)
  chmodSync(binary, 0o755)
  return { binary, calls: () => (existsSync(log) ? readFileSync(log, 'utf8') : '') }
}

test("crun: a container whose init waits on exec.fifo starts by the fifo, with no `crun start`", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meso-oci-'))
  const crun = fakeRuntime(dir, 'crun')
  const root = join(dir, 'root')
  mkdirSync(join(root, 'c1'), { recursive: true })
  const fifo = join(root, 'c1', 'exec.fifo')
  expect(Bun.spawnSync(['mkfifo', fifo]).exitCode).toBe(0)
  // The container's init side: a reader on the fifo.
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
  try {
    await new OciRuntime(crun.binary, root).start('c1')
    const buf = new Uint8Array(4)
    expect(readSync(reader, buf)).toBe(1)
    expect(buf[0]).toBe(0)
    expect(existsSync(fifo)).toBe(false) // unlinked, as crun start does: the container is no longer "created"
    expect(crun.calls()).toBe('')
  } finally {
    closeSync(reader)
  }
})

test('crun without a waiting reader, or another runtime: `<runtime> start` runs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meso-oci-'))
  const crun = fakeRuntime(dir, 'crun')
  const root = join(dir, 'root')
  mkdirSync(join(root, 'c2'), { recursive: true })
  expect(Bun.spawnSync(['mkfifo', join(root, 'c2', 'exec.fifo')]).exitCode).toBe(0) // no reader: ENXIO
  await new OciRuntime(crun.binary, root).start('c2')
  await new OciRuntime(crun.binary, root).start('missing')
  expect(crun.calls()).toBe(`--root=${root} start c2\n--root=${root} start missing\n`)
  expect(existsSync(join(root, 'c2', 'exec.fifo'))).toBe(true)

  const runc = fakeRuntime(dir, 'runc')
  mkdirSync(join(root, 'c3'), { recursive: true })
  const fifo = join(root, 'c3', 'exec.fifo')
  expect(Bun.spawnSync(['mkfifo', fifo]).exitCode).toBe(0)
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
  try {
    await new OciRuntime(runc.binary, root).start('c3')
    expect(runc.calls()).toBe(`--root=${root} start c3\n`)
  } finally {
    closeSync(reader)
  }
})
