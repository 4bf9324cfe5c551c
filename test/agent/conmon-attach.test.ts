// The attach connection of TTY/stdin containers (io/conmon-attach.ts) and its read loop (io/fd-poller.ts) against a
// stand-in for conmon's attach socket (SOCK_SEQPACKET, records [stream id][bytes], kept open as conmon keeps it
// while the container runs). The loop owns its fd: it is ended by shutting the socket down for reading, which still
// delivers what was received, then it closes the fd itself; records stay whole and in their streams.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConmonAttach } from '../../src/agent/io/conmon-attach.ts'
import { readLoops } from '../../src/agent/io/fd-poller.ts'
import { tempDir } from '../helpers/processes.ts'

const SERVER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1]); s.listen(64)
print('ready', flush=True)
kept = []
while True:
    c, _ = s.accept()
    try:
        c.send(bytes([2]) + b'hello'); c.send(bytes([3]) + b'oops')
    except OSError:
        pass  # the client had already shut its side down
    kept.append(c)
    print('sent', flush=True)
`

const dir = tempDir('meso-attach-')
const path = join(dir, 'attach')
let server: ReturnType<typeof Bun.spawn>
let lines: { read(): Promise<{ value?: Uint8Array; done: boolean }> }
let pending = ''

/** The server's next `count` lines: 'ready', then one 'sent' per connection once its records are on their way. */
async function serverSaid(word: string, count = 1) {
  for (let seen = 0; seen < count;) {
    const nl = pending.indexOf('\n')
    if (nl >= 0) {
      expect(pending.slice(0, nl)).toBe(word)
      pending = pending.slice(nl + 1)
      seen++
      continue
    }
    const { value, done } = await lines.read()
    if (done) throw new Error('the attach socket stand-in exited')
    pending += new TextDecoder().decode(value)
  }
}

beforeAll(async () => {
  server = Bun.spawn(['python3', '-c', SERVER, path], { stdout: 'pipe', stderr: 'inherit' })
  lines = (server.stdout as ReadableStream<Uint8Array>).getReader()
  await serverSaid('ready')
})
afterAll(() => { server.kill('SIGKILL') })

const attach = () => new ConmonAttach('c', path, join(dir, 'ctl'), false, false, () => true)

/** Everything a client attaching now receives, until the output ends. */
function output(a: ConmonAttach): Promise<string> {
  let text = ''
  return new Promise(resolve => a.onOutput((s, d) => { text += `${s}:${new TextDecoder().decode(d)} ` }, () => resolve(text.trim())))
}

test('a client attaching after the container ended gets all it printed, then the end', async () => {
  const a = attach()
  a.connectBeforeStart()
  await serverSaid('sent')
  a.close() // the exit file came, so conmon had sent everything: the loop reads it before it ends
  expect(await output(a)).toBe('stdout:hello stderr:oops')
})

test('connections ended while the next ones open lose nothing to each other', async () => {
  for (let i = 0; i < 50; i++) {
    // Ended at once (before or after the server sent its records): its loop may still have a read queued.
    const ended = attach()
    ended.connectBeforeStart()
    ended.close()
    const next = attach()
    next.connectBeforeStart()
    const seen = output(next)
    await serverSaid('sent', 2)
    next.close()
    expect(await seen).toBe('stdout:hello stderr:oops')
    expect(['', 'stdout:hello', 'stdout:hello stderr:oops']).toContain(await output(ended))
  }
})

test('quiet connections, many more than the CPUs, hold up neither file reads nor another connection; none is left polled', async () => {
  const before = readLoops()
  const quiet = Array.from({ length: 40 }, () => { const a = attach(); a.connectBeforeStart(); return a })
  await serverSaid('sent', quiet.length)
  const t0 = performance.now()
  expect(await readFile('/proc/self/stat', 'utf8')).toContain(String(process.pid))
  const next = attach()
  next.connectBeforeStart()
  const seen = output(next)
  await serverSaid('sent')
  next.close()
  expect(await seen).toBe('stdout:hello stderr:oops')
  expect(performance.now() - t0).toBeLessThan(5_000)
  for (const a of quiet) a.close()
  await Promise.all(quiet.map(output))
  expect(readLoops()).toBe(before)
})
