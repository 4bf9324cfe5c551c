// TLS end to end (docs/security-tls.md): a master and an agent started with LIBPROCESS_SSL_* and openssl-made
// certificates; the agent registers over wss://, the CLI runs a task over https:// with --ca-cert (and reads its
// output from the agent over https://), plain HTTP and clients trusting another CA are refused, and with
// LIBPROCESS_SSL_REQUIRE_CLIENT_CERT a client without a certificate is refused. Last, `meso up --tls`.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TLSOptions } from 'bun'
import { meso, startDaemon, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'
import { makeTestPki, tlsEnv, type TestPki } from '../helpers/tls-certs.ts'

let pki: TestPki
let dir: string
const daemons: Daemon[] = []

beforeAll(() => {
  dir = tempDir('meso-e2e-tls-')
  pki = makeTestPki(dir)
})
afterAll(async () => {
  if (process.env.MESO_TEST_LOGS) for (const d of daemons) console.error(d.log())
  for (const d of daemons.reverse()) await d.kill('SIGKILL').catch(() => {})
})

async function startTlsMaster(name: string, env: Record<string, string>): Promise<Daemon> {
  const d = await startDaemon(['master', '--ip=127.0.0.1', '--port=0', `--work_dir=${join(dir, name)}`, '--allocation_interval=100ms'], /meso master listening at (https:\/\/\S+?) /, env)
  daemons.push(d)
  return d
}

async function startTlsAgent(master: Daemon, name: string, env: Record<string, string>): Promise<Daemon> {
  const d = await startDaemon(['agent', `--master=${master.url.replace(/^https:\/\//, '')}`, '--ip=127.0.0.1', '--port=0', `--work_dir=${join(dir, name)}`,
    '--launcher=posix', '--resources=cpus:2;mem:1024;disk:1000'], /meso agent listening at (https:\/\/\S+?),/, env)
  daemons.push(d)
  return d
}

const pem = (file: string) => readFileSync(file, 'utf8')

/** fetch's outcome as a string: the body, or `refused: <why>`. */
async function get(url: string, tls?: TLSOptions): Promise<string> {
  try { return await (await fetch(url, tls ? { tls } : {})).text() } catch (err) { return `refused: ${(err as Error).message}` }
}

async function agentCount(master: Daemon, tls: TLSOptions): Promise<number> {
  const res = await fetch(`${master.url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: '{"type":"GET_AGENTS"}', tls })
  return ((await res.json()) as { get_agents: { agents?: unknown[] } }).get_agents.agents?.length ?? 0
}

describe('TLS with server verification (LIBPROCESS_SSL_VERIFY_SERVER_CERT)', () => {
  let master: Daemon
  let agent: Daemon
  beforeAll(async () => {
    const env = tlsEnv(pki, { LIBPROCESS_SSL_VERIFY_SERVER_CERT: 'true' })
    master = await startTlsMaster('master', env)
    agent = await startTlsAgent(master, 'agent', env)
  })

  test('both daemons advertise https://; the agent registers over wss://', async () => {
    expect(master.url).toStartWith('https://127.0.0.1:')
    expect(agent.url).toStartWith('https://127.0.0.1:')
    await waitFor('the agent to register', async () => (await agentCount(master, { ca: pem(pki.caFile) })) === 1)
    expect(agent.log()).not.toContain('Cannot connect to the master')
  })

  test('meso task run --ca-cert --master https://… runs a task and streams its output from the agent', async () => {
    const r = await meso(['task', 'run', '--ca-cert', pki.caFile, '--master', master.url, '--', 'sh', '-c', 'echo over-tls'], { timeoutMs: 60_000 })
    expect(r.stderr).not.toContain('error:')
    expect(r.stdout).toBe('over-tls\n')
    expect(r.code).toBe(0)
    // MESO_CA_CERT and a bare host:port: https:// is implied.
    const list = await meso(['task', 'list', '--all', '--json', '--master', master.url.replace(/^https:\/\//, '')], { env: { MESO_CA_CERT: pki.caFile } })
    expect(list.code).toBe(0)
    expect(list.stdout).toContain('TASK_FINISHED')
  })

  test('plain HTTP to the master and the agent is refused', async () => {
    for (const d of [master, agent]) {
      expect(await get(`${d.url.replace(/^https:/, 'http:')}/health`)).toStartWith('refused')
      expect(await get(`${d.url}/health`, { ca: pem(pki.caFile) })).toBe('')
    }
    const r = await meso(['cluster', 'status', '--master', master.url.replace(/^https:/, 'http:')])
    expect(r.code).toBe(125)
    expect(r.stderr).toContain('use an https:// master URL')
  })

  test('a client trusting a different CA is refused', async () => {
    expect(await get(`${master.url}/health`, { ca: pem(pki.otherCaFile) })).toStartWith('refused')
    expect(await get(`${master.url}/health`)).toStartWith('refused') // the bundled roots do not know the test CA
    const r = await meso(['cluster', 'status', '--ca-cert', pki.otherCaFile, '--master', master.url])
    expect(r.code).toBe(125)
    expect(r.stderr).toContain("the server's certificate is not trusted")
  })

  test('an agent that does not trust the master\'s CA does not register, and says why', async () => {
    const wrongCa = await startTlsAgent(master, 'agent-wrong-ca', tlsEnv(pki, { LIBPROCESS_SSL_CA_FILE: pki.otherCaFile, LIBPROCESS_SSL_VERIFY_CERT: 'true' }))
    await waitFor('the agent to log the TLS failure', () => wrongCa.log().includes('Cannot connect to the master'), 20_000)
    expect(await agentCount(master, { ca: pem(pki.caFile) })).toBe(1)
  })
})

describe('mutual TLS (LIBPROCESS_SSL_REQUIRE_CLIENT_CERT)', () => {
  let master: Daemon
  beforeAll(async () => {
    const env = tlsEnv(pki, { LIBPROCESS_SSL_REQUIRE_CLIENT_CERT: 'true' })
    master = await startTlsMaster('mtls-master', env)
    await startTlsAgent(master, 'mtls-agent', env)
  })
  const clientCert = () => ({ cert: pem(pki.clientCertFile), key: pem(pki.clientKeyFile) })

  test('the agent registers with its certificate; a client with one from the CA gets in', async () => {
    await waitFor('the agent to register', async () => (await agentCount(master, { ca: pem(pki.caFile), ...clientCert() })) === 1)
    const env = tlsEnv(pki, { LIBPROCESS_SSL_CERT_FILE: pki.clientCertFile, LIBPROCESS_SSL_KEY_FILE: pki.clientKeyFile })
    const r = await meso(['agent', 'list', '--json', '--master', master.url], { env })
    expect(r.stderr).toBe('')
    expect(JSON.parse(r.stdout)).toHaveLength(1)
  })

  test('a client without a certificate, or with one from another CA, is refused', async () => {
    expect(await get(`${master.url}/health`, { ca: pem(pki.caFile) })).toStartWith('refused')
    expect(await get(`${master.url}/health`, { ca: pem(pki.caFile), cert: pem(pki.otherClientCertFile), key: pem(pki.otherClientKeyFile) })).toStartWith('refused')
    const r = await meso(['cluster', 'status', '--ca-cert', pki.caFile, '--master', master.url])
    expect(r.code).toBe(125)
    expect(r.stderr).toContain('LIBPROCESS_SSL_REQUIRE_CLIENT_CERT')
  })
})

test('meso up --tls makes a dev CA and certificates and serves only TLS', async () => {
  const work = tempDir('meso-up-tls-')
  const up = await startDaemon(['up', '--tls', `--work_dir=${work}`, '--port=0', '--launcher=posix'], /master (https:\/\/\S+) \(scheduler API/)
  daemons.push(up)
  await waitFor('the CLI hint', () => up.log().includes(`export MESO_CA_CERT=${join(work, 'tls', 'ca.pem')}`))
  const r = await meso(['task', 'run', '--master', up.url, '--', 'sh', '-c', 'echo from-up-tls'], { env: { MESO_CA_CERT: join(work, 'tls', 'ca.pem') }, timeoutMs: 60_000 })
  expect(r.stdout).toBe('from-up-tls\n')
  expect(r.code).toBe(0)
  expect(await get(`${up.url.replace(/^https:/, 'http:')}/health`)).toStartWith('refused')
  await up.kill('SIGINT')
})
