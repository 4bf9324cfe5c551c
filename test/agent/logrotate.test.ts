// Sandbox log rotation: the rules (logrotate-policy.ts), the in-process writer (rotating-file.ts), the companion
// logger with a real pipe and a real named pipe (logrotate.ts), the log pump when conmon replaces ctr.log, and the
// agent's follower across a rotation (file-follow.ts).

import { describe, expect, test } from 'bun:test'
import { appendFileSync, closeSync, mkdtempSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileFollowIO } from '../../src/agent/io/file-follow.ts'
import { LogPump } from '../../src/agent/io/log-pump.ts'
import { openRotatedSink, releaseFifoLogger, startFifoLogger } from '../../src/agent/io/logrotate.ts'
import { logRotationOf, logrotateMaxFilesError, logrotateMaxSizeError, rotationChunks, rotationRenames } from '../../src/agent/io/logrotate-policy.ts'
import { RotatingFile } from '../../src/agent/io/rotating-file.ts'

const tmp = () => mkdtempSync(join(tmpdir(), 'meso-logrotate-'))
const files = (dir: string, prefix: string) => readdirSync(dir).filter(n => n === prefix || n.startsWith(`${prefix}.`)).sort()
const sizes = (dir: string, names: string[]) => names.map(n => statSync(join(dir, n)).size)
const numbered = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${String(from + i).padStart(6, '0')}\n`).join('')

async function waitUntil(what: string, fn: () => boolean, ms = 10_000) {
  const deadline = Date.now() + ms
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(20)
  }
}

describe('rules', () => {
  test('flags: 0 turns rotation off, less than a page is refused, files between 1 and 1000', () => {
    expect(logrotateMaxSizeError(0)).toBeUndefined()
    expect(logrotateMaxSizeError(4096)).toBeUndefined()
    expect(logrotateMaxSizeError(100)).toBe('must be 0 (no rotation) or at least 4096 bytes')
    expect(logrotateMaxFilesError(1)).toBeUndefined()
    expect(logrotateMaxFilesError(0)).toBe('must be between 1 and 1000')
    expect(logrotateMaxFilesError(2.5)).toBe('must be between 1 and 1000')
    expect(logRotationOf({ logrotate_max_size: 0, logrotate_max_files: 5 })).toBeUndefined()
    expect(logRotationOf({ logrotate_max_size: 10 << 20, logrotate_max_files: 5 })).toEqual({ maxSize: 10 << 20, maxFiles: 5 })
  })

  test('one rotation moves the oldest first and the leading file last; a single file is removed', () => {
    expect(rotationRenames('/s/stdout', 3)).toEqual([{ from: '/s/stdout.1', to: '/s/stdout.2' }, { from: '/s/stdout', to: '/s/stdout.1' }])
    expect(rotationRenames('/s/stdout', 2)).toEqual([{ from: '/s/stdout', to: '/s/stdout.1' }])
    expect(rotationRenames('/s/stdout', 1)).toEqual([{ from: '/s/stdout' }])
  })

  test('new bytes fill the leading file to the limit, then start fresh files', () => {
    expect(rotationChunks(8, 10, 25)).toEqual({ rotateFirst: false, chunks: [2, 10, 10, 3] })
    expect(rotationChunks(10, 10, 5)).toEqual({ rotateFirst: true, chunks: [5] })
    expect(rotationChunks(12, 10, 5)).toEqual({ rotateFirst: true, chunks: [5] })
    expect(rotationChunks(0, 10, 10)).toEqual({ rotateFirst: false, chunks: [10] })
    expect(rotationChunks(3, 10, 0)).toEqual({ rotateFirst: false, chunks: [] })
  })
})

describe('RotatingFile', () => {
  test('keeps max_files files of at most max_size, the newest bytes in the leading file, none lost in between', () => {
    const dir = tmp()
    const f = new RotatingFile(join(dir, 'stdout'), { maxSize: 4096, maxFiles: 3 })
    const text = numbered(1, 2000) // 24000 bytes
    for (let i = 0; i < text.length; i += 1000) f.write(Buffer.from(text.slice(i, i + 1000)))
    f.close()
    expect(files(dir, 'stdout')).toEqual(['stdout', 'stdout.1', 'stdout.2'])
    expect(sizes(dir, ['stdout.2', 'stdout.1'])).toEqual([4096, 4096])
    const kept = ['stdout.2', 'stdout.1', 'stdout'].map(n => readFileSync(join(dir, n), 'utf8')).join('')
    expect(text.endsWith(kept)).toBe(true)
    expect(kept.length).toBe(4096 * 2 + (24000 % 4096))
  })

  test('a reopened file (an agent restart) counts from its actual size', () => {
    const dir = tmp()
    writeFileSync(join(dir, 'stdout'), 'x'.repeat(4000))
    const f = new RotatingFile(join(dir, 'stdout'), { maxSize: 4096, maxFiles: 2 })
    f.write(Buffer.from('y'.repeat(200)))
    f.close()
    expect(sizes(dir, ['stdout.1', 'stdout'])).toEqual([4096, 104])
  })

  test('without rotation the file just grows', () => {
    const dir = tmp()
    const f = new RotatingFile(join(dir, 'stdout'), undefined)
    f.write(Buffer.alloc(10_000, 65))
    f.close()
    expect(files(dir, 'stdout')).toEqual(['stdout'])
  })
})

describe('companion logger', () => {
  test('through a pipe: every byte kept in order, files exact, and it ends with its writers', async () => {
    const dir = tmp()
    const file = join(dir, 'stdout')
    const w = openRotatedSink(file, { maxSize: 4096, maxFiles: 4 })
    const proc = Bun.spawn(['sh', '-c', 'i=1; while [ $i -le 1500 ]; do printf "line %06d\\n" $i; i=$((i+1)); done'], { stdio: ['ignore', w, 'inherit'] })
    closeSync(w)
    await proc.exited
    const text = numbered(1, 1500) // 18000 bytes: 4 files, the oldest 4096 bytes cut off
    await waitUntil('the logger to finish', () => { try { return readFileSync(file, 'utf8').endsWith('line 001500\n') } catch { return false } })
    expect(files(dir, 'stdout')).toEqual(['stdout', 'stdout.1', 'stdout.2', 'stdout.3'])
    expect(sizes(dir, ['stdout.3', 'stdout.2', 'stdout.1'])).toEqual([4096, 4096, 4096])
    const kept = ['stdout.3', 'stdout.2', 'stdout.1', 'stdout'].map(n => readFileSync(join(dir, n), 'utf8')).join('')
    expect(kept).toBe(text.slice(text.length - kept.length))
    expect(kept.length).toBe(18000 - 4096)
    await waitUntil('the logger to exit', () => !loggerRunning(file))
  })

  test('small writes reach the file at once, not when the writer ends', async () => {
    const dir = tmp()
    const file = join(dir, 'stderr')
    const w = openRotatedSink(file, { maxSize: 4096, maxFiles: 2 })
    const proc = Bun.spawn(['sh', '-c', 'echo first; sleep 2; echo second'], { stdio: ['ignore', w, 'inherit'] })
    closeSync(w)
    await waitUntil('the first line', () => { try { return readFileSync(file, 'utf8') === 'first\n' } catch { return false } }, 1500)
    await proc.exited
  })

  test('through a named pipe opened by path (the posix monitor), and a file already full is rotated first', async () => {
    const dir = tmp()
    const file = join(dir, 'stdout')
    writeFileSync(file, 'z'.repeat(5000))
    const fifo = join(dir, 'stdout.pipe')
    startFifoLogger(fifo, file, { maxSize: 4096, maxFiles: 2 })
    const proc = Bun.spawn(['sh', '-c', `echo hello >>"${fifo}"`])
    await proc.exited
    await waitUntil('the line', () => { try { return readFileSync(file, 'utf8') === 'hello\n' } catch { return false } })
    expect(statSync(join(dir, 'stdout.1')).size).toBe(5000)
    await waitUntil('the logger to exit', () => !loggerRunning(file))
  })

  test('a partly filled file (the agent tells the logger its size) is filled to the limit before the first cut', async () => {
    const dir = tmp()
    const file = join(dir, 'stdout')
    writeFileSync(file, 'o'.repeat(1000))
    const w = openRotatedSink(file, { maxSize: 4096, maxFiles: 2 })
    const proc = Bun.spawn(['sh', '-c', 'head -c 5000 /dev/zero | tr "\\0" n'], { stdio: ['ignore', w, 'inherit'] })
    closeSync(w)
    await proc.exited
    await waitUntil('the logger to exit', () => !loggerRunning(file))
    expect(readFileSync(join(dir, 'stdout.1'), 'utf8')).toBe('o'.repeat(1000) + 'n'.repeat(3096))
    expect(readFileSync(file, 'utf8')).toBe('n'.repeat(1904))
  })
})

test('a logger whose writer never came is released', async () => {
  const dir = tmp()
  const fifo = join(dir, 'stdout.pipe')
  startFifoLogger(fifo, join(dir, 'stdout'), { maxSize: 4096, maxFiles: 2 })
  await waitUntil('the logger to start', () => loggerRunning(join(dir, 'stdout')))
  releaseFifoLogger(fifo)
  await waitUntil('the logger to exit', () => !loggerRunning(join(dir, 'stdout')))
})

function loggerRunning(file: string): boolean {
  for (const pid of readdirSync('/proc').filter(n => /^\d+$/.test(n))) {
    try { if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`\0${file}\0`)) return true } catch { /* gone */ }
  }
  return false
}

describe('log pump', () => {
  const k8s = (stream: string, text: string) => `2026-01-01T00:00:00.000000000Z ${stream} F ${text}\n`

  test('rotates the sandbox files and reads a replaced ctr.log to its end before starting the new one', () => {
    const dir = tmp()
    const log = join(dir, 'ctr.log')
    const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => k8s('stdout', `line ${String(from + i).padStart(6, '0')}`)).join('')
    writeFileSync(log, lines(1, 200))
    const pump = new LogPump(log, dir, { maxSize: 4096, maxFiles: 10 })
    pump.pump()
    // conmon at --log-size-max: more lines into the old file, then a new empty file renamed over it.
    appendFileSync(log, lines(201, 300))
    writeFileSync(`${log}.tmp`, lines(301, 400))
    renameSync(`${log}.tmp`, log)
    pump.pump()
    pump.stop()
    const kept = files(dir, 'stdout').sort((a, b) => (b.split('.')[1] ? Number(b.split('.')[1]) : 0) - (a.split('.')[1] ? Number(a.split('.')[1]) : 0))
    const text = kept.map(n => readFileSync(join(dir, n), 'utf8')).join('')
    expect(text).toBe(numbered(1, 400))
    expect(kept.length).toBe(2)
    // A restarted agent's pump continues after what was copied.
    const again = new LogPump(log, dir, { maxSize: 4096, maxFiles: 10 })
    appendFileSync(log, k8s('stderr', 'late'))
    again.pump()
    again.stop()
    expect(readFileSync(join(dir, 'stderr'), 'utf8')).toBe('late\n')
  })
})

describe('agent follower (ATTACH_CONTAINER_OUTPUT of plain containers)', () => {
  test('continues through a rotation: the rest of the old file, then the new one from its start', async () => {
    const dir = tmp()
    writeFileSync(join(dir, 'stdout'), 'before attach\n')
    let exited!: () => void
    const io = new FileFollowIO(dir, new Promise<void>(r => { exited = r }))
    let got = ''
    const ended = new Promise<void>(resolve => io.onOutput((_, data) => { got += Buffer.from(data).toString() }, resolve))
    appendFileSync(join(dir, 'stdout'), 'a\n')
    await waitUntil('a', () => got === 'a\n')
    appendFileSync(join(dir, 'stdout'), 'b\n')
    renameSync(join(dir, 'stdout'), join(dir, 'stdout.1'))
    writeFileSync(join(dir, 'stdout'), 'c\n')
    await waitUntil('c', () => got.endsWith('c\n'))
    exited()
    await ended
    expect(got).toBe('a\nb\nc\n')
  })
})
