// The probe runners against real processes: COMMAND probes inside a real posix container (exit codes, the
// container's sandbox and environment, a timeout killing the probe), HTTP/TCP probes against real servers (status
// codes, redirects, HTTPS without verification, refused connections), and, as root, from inside a network
// namespace made for the test (nsenter), where the agent's own namespace cannot reach the server.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { commandProbe, inOtherNetns, networkProbe } from '../../src/agent/checks/probes.ts'
import { PosixLauncher } from '../../src/agent/containerizer/posix-launcher.ts'
import { makeTestPki } from '../helpers/tls-certs.ts'

const never = () => new AbortController().signal

async function freePort(): Promise<number> {
  return new Promise(resolve => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

describe('COMMAND probes in a posix container', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meso-checks-'))
  const sandbox = join(dir, 'sandbox')
  const launcher = new PosixLauncher(join(dir, 'run'), false)
  const id = 'checks-probe-container'

  beforeAll(async () => {
    mkdirSync(sandbox, { recursive: true })
    await launcher.prepare()
    await launcher.create({ containerId: id, sandbox, argv: ['/bin/sh', '-c', 'echo ready > marker; exec sleep 60'], env: { PATH: '/usr/bin:/bin' }, resources: undefined as never, isolate: () => {} } as never)
    for (let i = 0; i < 100 && !Bun.file(join(sandbox, 'marker')).size; i++) await Bun.sleep(20)
  })
  afterAll(async () => {
    await launcher.destroy(id)
    rmSync(dir, { recursive: true, force: true })
  })

  test('the exit code is the result; the probe runs in the sandbox with the environment given', async () => {
    expect(await commandProbe(launcher, id, { value: 'test -f marker' }, { PATH: '/usr/bin:/bin' }, undefined, never()))
      .toEqual({ kind: 'result', status: { type: 'COMMAND', command: { exit_code: 0 } } })
    expect(await commandProbe(launcher, id, { value: 'test "$A$B" = xy', environment: { variables: [{ name: 'B', value: 'y' }] } }, { PATH: '/usr/bin:/bin', A: 'x' }, undefined, never()))
      .toEqual({ kind: 'result', status: { type: 'COMMAND', command: { exit_code: 0 } } })
    expect(await commandProbe(launcher, id, { value: 'exit 3' }, { PATH: '/usr/bin:/bin' }, undefined, never()))
      .toEqual({ kind: 'result', status: { type: 'COMMAND', command: { exit_code: 3 } } })
    expect(await commandProbe(launcher, id, { shell: false, value: '/bin/sh', arguments: ['sh', '-c', 'exit 4'] }, { PATH: '/usr/bin:/bin' }, undefined, never()))
      .toEqual({ kind: 'result', status: { type: 'COMMAND', command: { exit_code: 4 } } })
  })

  test('an aborted probe (its timeout) is killed at once', async () => {
    const abort = new AbortController()
    const started = Date.now()
    const probe = commandProbe(launcher, id, { value: 'exec sleep 30' }, { PATH: '/usr/bin:/bin' }, undefined, abort.signal)
    await Bun.sleep(200)
    abort.abort()
    expect(await probe).toEqual({ kind: 'transient' })
    expect(Date.now() - started).toBeLessThan(5000)
  })

  test('a container that is not running is an error', async () => {
    await expect(commandProbe(launcher, 'no-such-container', { value: 'true' }, {}, undefined, never())).rejects.toThrow('container no-such-container is not running')
  })
})

describe('HTTP and TCP probes on the agent network', () => {
  let server: ReturnType<typeof Bun.serve>
  let tlsServer: ReturnType<typeof Bun.serve>
  const dir = mkdtempSync(join(tmpdir(), 'meso-checks-tls-'))

  beforeAll(() => {
    server = Bun.serve({
      hostname: '127.0.0.1', port: 0,
      fetch: req => {
        const path = new URL(req.url).pathname
        if (path === '/ok') return new Response('fine')
        if (path === '/moved') return Response.redirect('/ok', 302)
        return new Response('no', { status: 503 })
      },
    })
    const pki = makeTestPki(dir)
    tlsServer = Bun.serve({ hostname: '127.0.0.1', port: 0, tls: { cert: Bun.file(pki.certFile), key: Bun.file(pki.keyFile) }, fetch: () => new Response('secure') })
  })
  afterAll(() => {
    server.stop(true)
    tlsServer.stop(true)
    rmSync(dir, { recursive: true, force: true })
  })

  const http = (port: number, path: string, scheme: 'http' | 'https' = 'http') => ({ type: 'HTTP' as const, port, path, scheme, ipv6: false })

  test('the status of the final response is the result (redirects followed)', async () => {
    expect(await networkProbe(http(server.port!, '/ok'), undefined, never())).toEqual({ kind: 'result', status: { type: 'HTTP', http: { status_code: 200 } } })
    expect(await networkProbe(http(server.port!, '/moved'), undefined, never())).toEqual({ kind: 'result', status: { type: 'HTTP', http: { status_code: 200 } } })
    expect(await networkProbe(http(server.port!, '/down'), undefined, never())).toEqual({ kind: 'result', status: { type: 'HTTP', http: { status_code: 503 } } })
  })

  test('HTTPS does not verify the certificate', async () => {
    expect(await networkProbe(http(tlsServer.port!, '/', 'https'), undefined, never())).toEqual({ kind: 'result', status: { type: 'HTTP', http: { status_code: 200 } } })
  })

  test('no response is an error; TCP says whether it connected', async () => {
    const closed = await freePort()
    const r = await networkProbe(http(closed, '/'), undefined, never())
    expect(r.kind).toBe('error')
    expect((r as { message: string }).message).toContain(`http://127.0.0.1:${closed}/`)
    expect(await networkProbe({ type: 'TCP', port: closed, ipv6: false }, undefined, never())).toEqual({ kind: 'result', status: { type: 'TCP', tcp: { succeeded: false } } })
    expect(await networkProbe({ type: 'TCP', port: server.port!, ipv6: false }, undefined, never())).toEqual({ kind: 'result', status: { type: 'TCP', tcp: { succeeded: true } } })
  })

  test('a process in the agent namespace is probed without nsenter', () => {
    expect(inOtherNetns(process.pid)).toBe(false)
  })
})

const netnsProblem = process.getuid?.() !== 0 ? 'needs root' : !Bun.which('ip') || !Bun.which('nsenter') ? 'needs ip and nsenter' : !Bun.which('python3', { PATH: '/usr/bin' }) ? 'needs /usr/bin/python3' : undefined

describe.skipIf(!!netnsProblem)(`HTTP and TCP probes inside a network namespace${netnsProblem ? ` (skipped: ${netnsProblem})` : ''}`, () => {
  const ns = `meso-chk-${process.pid}`
  let server: ReturnType<typeof Bun.spawn> | undefined
  const port = 18080

  beforeAll(async () => {
    Bun.spawnSync(['ip', 'netns', 'add', ns])
    Bun.spawnSync(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
    // nsenter execs the server: its pid is the process whose namespace the probe enters.
    server = Bun.spawn(['nsenter', `--net=/run/netns/${ns}`, '--', '/usr/bin/python3', '-m', 'http.server', String(port), '--bind', '127.0.0.1'], { cwd: tmpdir(), stdio: ['ignore', 'ignore', 'ignore'] })
    for (let i = 0; i < 100; i++) {
      const r = Bun.spawnSync(['nsenter', `--net=/run/netns/${ns}`, '--', '/usr/bin/python3', '-c', `import socket; socket.create_connection(('127.0.0.1', ${port}), 1)`])
      if (r.exitCode === 0) break
      await Bun.sleep(100)
    }
  })
  afterAll(async () => {
    server?.kill('SIGKILL')
    await server?.exited
    Bun.spawnSync(['ip', 'netns', 'del', ns])
  })

  test("the probe reaches the task's 127.0.0.1, which the agent's namespace does not", async () => {
    const pid = server!.pid
    expect(inOtherNetns(pid)).toBe(true)
    expect(await networkProbe({ type: 'HTTP', port, path: '/', scheme: 'http', ipv6: false }, pid, never())).toEqual({ kind: 'result', status: { type: 'HTTP', http: { status_code: 200 } } })
    expect(await networkProbe({ type: 'TCP', port, ipv6: false }, pid, never())).toEqual({ kind: 'result', status: { type: 'TCP', tcp: { succeeded: true } } })
    expect(await networkProbe({ type: 'TCP', port, ipv6: false }, undefined, never())).toEqual({ kind: 'result', status: { type: 'TCP', tcp: { succeeded: false } } })
  })
})
