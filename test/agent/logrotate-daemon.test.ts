// The agent's log rotator (logrotate-daemon.ts, one process per agent) and the agent's side of it
// (logrotate-client.ts): the protocol's validation, and a real `meso __logrotate` process reading real named pipes:
// rotation with nothing lost, an agent that goes away and comes back (the streams go on), a rotator killed with -9
// (the next one adopts every stream again and continues each file from its size), a file that cannot be written
// (the reason in <file>.logrotate-error, the pipe drained) and the rotator's exit once it has nothing to do.

import { afterAll, describe, expect, test } from 'bun:test'
import { closeSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { outputSink } from '../../src/agent/containerizer/conmon.ts'
import { LogRotatorClient } from '../../src/agent/io/logrotate-client.ts'
import { LogRotator } from '../../src/agent/io/logrotate-daemon.ts'
import { encode, LineSplitter, parseFromRotator, parseRequest } from '../../src/agent/io/logrotate-protocol.ts'
import { tempDir, waitFor } from '../helpers/processes.ts'

const ROT = { maxSize: 4096, maxFiles: 3 }
const numbered = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${String(from + i).padStart(6, '0')}\n`).join('')
/** The kept files of a stream, oldest first, as one text ('' while a rotation renames them under the reader). */
function kept(dir: string, name: string): string {
  try {
    return readdirSync(dir).filter(n => n === name || /^\w+\.\d+$/.test(n) && n.startsWith(`${name}.`))
      .sort((a, b) => (Number(b.split('.')[1] ?? 0)) - (Number(a.split('.')[1] ?? 0))).map(n => readFileSync(join(dir, n), 'utf8')).join('')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return ''
    throw err
  }
}

/** Pids of rotators listening on `socket` (argv: … __logrotate <socket>). */
function rotatorPids(socket: string): number[] {
  const out: number[] = []
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
      const i = argv.indexOf('__logrotate')
      if (i > 0 && argv[i + 1] === socket) out.push(Number(pid))
    } catch { /* gone */ }
  }
  return out
}

function writeAll(fd: number, text: string) {
  const b = Buffer.from(text)
  let off = 0
  while (off < b.length) off += writeSync(fd, b, off)
}

const clients: LogRotatorClient[] = []
afterAll(() => { for (const c of clients) c.close() })

describe('protocol', () => {
  test('an adopt request is validated field by field', () => {
    const ok = { op: 'adopt', id: 1, fifo: '/r/stdout.fifo', file: '/s/stdout', rotation: { maxSize: 4096, maxFiles: 2 } }
    expect(parseRequest(JSON.stringify(ok))).toEqual({ request: ok as any })
    expect(parseRequest('{')).toEqual({ error: 'request is not JSON' })
    expect(parseRequest('{"op":"adopt"}')).toEqual({ error: 'request has no integer id' })
    expect(parseRequest(JSON.stringify({ ...ok, op: 'drop' }))).toEqual({ error: 'unknown op "drop"', id: 1 })
    expect(parseRequest(JSON.stringify({ ...ok, fifo: 'rel/path' }))).toEqual({ error: 'fifo must be an absolute path', id: 1 })
    expect(parseRequest(JSON.stringify({ ...ok, file: 7 }))).toEqual({ error: 'file must be an absolute path', id: 1 })
    expect(parseRequest(JSON.stringify({ ...ok, rotation: { maxSize: 100, maxFiles: 2 } }))).toEqual({ error: 'rotation.maxSize must be 0 (no rotation) or at least 4096 bytes', id: 1 })
    expect(parseRequest(JSON.stringify({ ...ok, rotation: { maxSize: 0, maxFiles: 2 } }))).toEqual({ error: 'rotation.maxSize must be at least 4096 bytes', id: 1 })
    expect(parseRequest(JSON.stringify({ ...ok, rotation: { maxSize: 4096, maxFiles: 0 } }))).toEqual({ error: 'rotation.maxFiles must be between 1 and 1000', id: 1 })
    expect(parseRequest(JSON.stringify({ ...ok, rotation: { maxSize: '4096', maxFiles: 2 } }))).toEqual({ error: 'rotation.maxSize must be an integer', id: 1 })
    expect(parseRequest('x'.repeat(20_000))).toEqual({ error: 'request longer than 16384 bytes' })
  })

  test("the rotator's lines: answers and ended streams; anything else is skipped", () => {
    expect(parseFromRotator(encode({ id: 3, ok: true, known: false }))).toEqual({ id: 3, ok: true, known: false })
    expect(parseFromRotator(encode({ id: 3, error: 'no' }))).toEqual({ id: 3, error: 'no' })
    expect(parseFromRotator(encode({ event: 'ended', fifo: '/f', error: 'disk full' }))).toEqual({ event: 'ended', fifo: '/f', error: 'disk full' })
    expect(parseFromRotator('{"event":"other"}')).toBeUndefined()
    expect(parseFromRotator('nope')).toBeUndefined()
  })

  test('lines are cut across chunks; an over-long one is dropped whole and reported', () => {
    const lines: string[] = []
    let tooLong = 0
    const s = new LineSplitter(l => lines.push(l), () => tooLong++, 10)
    for (const part of ['ab', 'c\nde', 'f\n\n', 'x'.repeat(25), 'yy\nok\n']) s.push(Buffer.from(part))
    expect(lines).toEqual(['abc', 'def', 'ok'])
    expect(tooLong).toBe(1)
  })
})

describe('the rotator process', () => {
  test('rotates by the rules with nothing lost; streams go on when the agent goes and comes back; idle, it exits', async () => {
    const dir = tempDir('meso-logrotated-')
    const run = join(dir, 'run'), sandbox = join(dir, 'sandbox')
    mkdirSync(run); mkdirSync(sandbox)
    const socket = join(run, 'logrotate.sock')
    const agent1 = new LogRotatorClient(socket)
    clients.push(agent1)
    const out = await agent1.sink(join(run, 'stdout.fifo'), join(sandbox, 'stdout'), ROT)
    const err = await agent1.sink(join(run, 'stderr.fifo'), join(sandbox, 'stderr'), ROT)
    const [pid] = rotatorPids(socket)
    expect(pid).toBeGreaterThan(0)
    writeAll(out, numbered(1, 1000)) // 13000 bytes: three rotations' worth
    writeAll(err, 'oops\n')
    await waitFor('stdout rotated', () => existsSync(join(sandbox, 'stdout.2')))

    // The agent dies; a new one adopts the same pipes: no-ops, the same rotator, the same streams.
    agent1.close()
    const agent2 = new LogRotatorClient(socket)
    clients.push(agent2)
    await agent2.readopt(join(run, 'stdout.fifo'), join(sandbox, 'stdout'), ROT)
    expect(rotatorPids(socket)).toEqual([pid!])
    writeAll(out, numbered(1001, 2000))
    closeSync(out); closeSync(err)
    const all = numbered(1, 2000)
    await waitFor('the last line written', () => kept(sandbox, 'stdout').endsWith(numbered(2000, 2000)))
    const text = kept(sandbox, 'stdout')
    expect(all.endsWith(text)).toBe(true)
    expect(text.length).toBe(4096 * 2 + (all.length % 4096))
    expect(readdirSync(sandbox).filter(n => n.startsWith('stdout')).sort()).toEqual(['stdout', 'stdout.1', 'stdout.2'])
    expect(statSync(join(sandbox, 'stdout.1')).size).toBe(4096)
    expect(readFileSync(join(sandbox, 'stderr'), 'utf8')).toBe('oops\n')

    // No stream and no agent: it exits (and removes its socket).
    agent2.close()
    await waitFor('the idle rotator to exit', () => rotatorPids(socket).length === 0 && !existsSync(socket), 30_000)
  })

  test('a rotator killed with -9: the next one adopts every stream again, each file continues from its size', async () => {
    const dir = tempDir('meso-logrotated-')
    const run = join(dir, 'run'), sandbox = join(dir, 'sandbox')
    mkdirSync(run); mkdirSync(sandbox)
    const socket = join(run, 'logrotate.sock')
    const agent = new LogRotatorClient(socket)
    clients.push(agent)
    const a = await agent.sink(join(run, 'a.fifo'), join(sandbox, 'a'), ROT)
    writeAll(a, 'x'.repeat(3000))
    await waitFor('3000 bytes in a', () => existsSync(join(sandbox, 'a')) && statSync(join(sandbox, 'a')).size === 3000)
    const [first] = rotatorPids(socket)
    process.kill(first!, 'SIGKILL')
    // The agent sees the socket close and starts a new rotator at once, handing it `a` again; a request made
    // meanwhile (another container's) waits for it.
    const b = await agent.sink(join(run, 'b.fifo'), join(sandbox, 'b'), ROT)
    const second = await waitFor('a new rotator', () => rotatorPids(socket).find(p => p !== first))
    expect(rotatorPids(socket)).toEqual([second])
    writeAll(a, 'y'.repeat(2000))
    writeAll(b, 'z')
    closeSync(a); closeSync(b)
    await waitFor('a rotated', () => existsSync(join(sandbox, 'a.1')) && statSync(join(sandbox, 'a')).size === 904)
    expect(readFileSync(join(sandbox, 'a.1'), 'utf8')).toBe('x'.repeat(3000) + 'y'.repeat(1096))
    expect(readFileSync(join(sandbox, 'a'), 'utf8')).toBe('y'.repeat(904))
    agent.close()
  })

  test('a file that cannot be written: the reason in <file>.logrotate-error, the pipe drained (no SIGPIPE for the task)', async () => {
    const dir = tempDir('meso-logrotated-')
    const run = join(dir, 'run'), sandbox = join(dir, 'sandbox')
    mkdirSync(run); mkdirSync(join(sandbox, 'stdout'), { recursive: true }) // a directory where the file should be
    const socket = join(run, 'logrotate.sock')
    const agent = new LogRotatorClient(socket)
    clients.push(agent)
    const w = await agent.sink(join(run, 'stdout.fifo'), join(sandbox, 'stdout'), ROT)
    // Far more than a pipe holds: it only goes through if the rotator keeps reading.
    for (let i = 0; i < 64; i++) writeAll(w, 'e'.repeat(64 * 1024))
    closeSync(w)
    const reason = await waitFor('the error file', () => existsSync(join(sandbox, 'stdout.logrotate-error')) && readFileSync(join(sandbox, 'stdout.logrotate-error'), 'utf8'))
    expect(reason).toContain('EISDIR')
    agent.close()
  })

  test('before any agent has connected, a rotator waits longer before it leaves (a starved agent may be slow to come)', async () => {
    const dir = tempDir('meso-logrotated-')
    const lonely = new LogRotator({ socket: join(dir, 'a.sock'), idleExitMs: 50, firstClientMs: 600, onIdle: () => {} })
    const started = Date.now()
    expect(await lonely.start()).toBe('listening')
    await Bun.sleep(300)
    expect(existsSync(join(dir, 'a.sock'))).toBe(true)
    await waitFor('the unvisited rotator to leave', () => !existsSync(join(dir, 'a.sock')), 5_000)
    expect(Date.now() - started).toBeGreaterThanOrEqual(550)

    // Once an agent has come and gone, the usual short wait.
    const visited = new LogRotator({ socket: join(dir, 'b.sock'), idleExitMs: 50, firstClientMs: 60_000, onIdle: () => {} })
    await visited.start()
    const s = await Bun.connect({ unix: join(dir, 'b.sock'), socket: { data() {} } })
    await Bun.sleep(100)
    s.end()
    await waitFor('the visited rotator to leave', () => !existsSync(join(dir, 'b.sock')), 2_000)
  })

  test('a container whose rotator cannot be reached gets a logger of its own, rotating the same way, instead of failing', async () => {
    const dir = tempDir('meso-logrotated-')
    const bundle = join(dir, 'bundle'), sandbox = join(dir, 'sandbox')
    mkdirSync(bundle); mkdirSync(sandbox)
    // A "rotator" command that starts nothing: no answer on the socket within the (short) start deadline.
    const unreachable = new LogRotatorClient(join(dir, 'logrotate.sock'), ['true'], 300)
    clients.push(unreachable)
    const fd = await outputSink({ id: 'c1', bundle, rotation: ROT, rotator: unreachable }, join(sandbox, 'stdout'), 'stdout')
    // Its pipe is gone, so a restarted agent does not hand it to a rotator (linux-launcher.ts, re-adoption).
    expect(existsSync(join(bundle, 'stdout.fifo'))).toBe(false)
    writeAll(fd, numbered(1, 1000))
    closeSync(fd)
    await waitFor('the companion logger to rotate', () => existsSync(join(sandbox, 'stdout.1')) && kept(sandbox, 'stdout').endsWith(numbered(1000, 1000)), 30_000)
    expect(numbered(1, 1000).endsWith(kept(sandbox, 'stdout'))).toBe(true)
  })

  test('a request the rotator cannot honour is refused with the reason', async () => {
    const dir = tempDir('meso-logrotated-')
    mkdirSync(join(dir, 'run'))
    const agent = new LogRotatorClient(join(dir, 'run', 'logrotate.sock'))
    clients.push(agent)
    await expect(agent.readopt(join(dir, 'run', 'missing.fifo'), join(dir, 'stdout'), ROT)).rejects.toThrow(/cannot rotate .*missing\.fifo.*ENOENT/)
    agent.close()
    // A runtime dir too long for a unix socket's path: said up front, not after a 30 s wait for a rotator.
    const long = new LogRotatorClient(join(dir, 'r'.repeat(120), 'logrotate.sock'))
    await expect(long.readopt(join(dir, 'run', 'x.fifo'), join(dir, 'stdout'), ROT)).rejects.toThrow(/more than a unix socket takes \(107\): use a shorter --runtime_dir/)
  })
})
