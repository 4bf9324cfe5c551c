// `meso up`'s security defaults (docs/security-auth.md): credentials and the executor-token key are generated once
// in <work dir>/secrets (0700, files 0600) and handed to the master and agent this process starts, and the CLI is
// told where to find its own credential (a file under ~/.meso/clusters, used only for this cluster's addresses).
//
// - Always (loopback too): the agent gets --http_credentials and --jwt_secret_key, so its containers gate is on:
//   container calls and sandbox reads need the CLI's credential or a task's own executor token; the master gets
//   --authenticate_http_readwrite, so operator writes need the CLI's credential. Tasks share the host's network and
//   loopback: this is what stops one task from driving another task's container or killing it.
// - Listening beyond loopback: HTTP authentication everywhere, as Mesos' flags name it (master: readonly,
//   readwrite, frameworks, agents; agent: readonly, readwrite, executors), the agent authenticating to the master.
//
// Flags given with --master-flag / --agent-flag win over these defaults.

import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { newSecret } from '../core/auth.ts'
import { clusterCredentialsDir } from '../client/credentials.ts'

/** Principals `meso up` generates: the CLI's operator, and the agent's (to the master). */
export const UP_OPERATOR = 'meso-operator'
export const UP_AGENT = 'meso-agent'

export interface UpAuth {
  /** Flag values for the master and the agent (before --master-flag / --agent-flag). */
  master: Record<string, string>
  agent: Record<string, string>
  /** Lines for `meso up` to print. */
  notes: string[]
  /** Writes the CLI's credential file for this cluster; returns a function that removes it. */
  registerCli(masterUrl: string, agentUrl: string): () => void
}

/** Whether `ip` keeps the daemons on this machine (then only the containers gate is needed). */
export function isLoopback(ip: string): boolean {
  return ip === 'localhost' || ip === '::1' || /^127\./.test(ip)
}

function writeSecretFile(path: string, content: string) {
  writeFileSync(path, content, { mode: 0o600 })
  chmodSync(path, 0o600) // an existing file keeps its mode through writeFileSync
}

interface Secrets { operator: string; agent: string; jwtKey: string }

/** Reads the secrets of an earlier start, or makes new ones (kept across restarts: re-adopted tasks keep valid tokens). */
function ensureSecrets(dir: string): Secrets {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  chmodSync(dir, 0o700)
  const credsPath = join(dir, 'credentials.json')
  const keyPath = join(dir, 'jwt_secret_key')
  let operator: string | undefined
  let agent: string | undefined
  try {
    const parsed = JSON.parse(readFileSync(credsPath, 'utf8')) as { credentials?: { principal?: string; secret?: string }[] }
    operator = parsed.credentials?.find(c => c.principal === UP_OPERATOR)?.secret
    agent = parsed.credentials?.find(c => c.principal === UP_AGENT)?.secret
  } catch { /* first start */ }
  if (!operator || !agent) {
    operator ??= newSecret()
    agent ??= newSecret()
    writeSecretFile(credsPath, `${JSON.stringify({ credentials: [{ principal: UP_OPERATOR, secret: operator }, { principal: UP_AGENT, secret: agent }] }, null, 2)}\n`)
  }
  writeSecretFile(join(dir, 'agent-credential.json'), `${JSON.stringify({ principal: UP_AGENT, secret: agent })}\n`)
  let jwtKey = existsSync(keyPath) ? readFileSync(keyPath, 'utf8') : ''
  if (!jwtKey) { jwtKey = newSecret(); writeSecretFile(keyPath, jwtKey) }
  return { operator, agent, jwtKey }
}

/** host:port forms the CLI may use for a daemon's URL (loopback names, or this machine's addresses for 0.0.0.0). */
function addressesOf(url: string, listenIp: string): string[] {
  const u = new URL(url)
  const port = u.port
  const hosts = new Set([u.hostname])
  if (isLoopback(listenIp) || listenIp === '0.0.0.0' || listenIp === '::') for (const h of ['127.0.0.1', 'localhost']) hosts.add(h)
  if (listenIp === '0.0.0.0' || listenIp === '::') {
    hosts.add(hostname())
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4') hosts.add(a.address)
  }
  return [...hosts].map(h => `${h}:${port}`)
}

const tomlList = (xs: string[]) => `[${xs.map(x => JSON.stringify(x)).join(', ')}]`

export function upAuth(base: string, ip: string): UpAuth {
  const dir = join(base, 'secrets')
  const s = ensureSecrets(dir)
  const wide = !isLoopback(ip)
  // Operator writes (kill, teardown, weights, agents gone…) need the CLI's credential even on loopback: tasks share
  // the host's loopback and must not tear down each other's frameworks.
  const master: Record<string, string> = { credentials: join(dir, 'credentials.json'), authenticate_http_readwrite: 'true' }
  const agent: Record<string, string> = {
    http_credentials: join(dir, 'credentials.json'),
    credential: join(dir, 'agent-credential.json'),
    jwt_secret_key: join(dir, 'jwt_secret_key'),
  }
  if (wide) {
    Object.assign(master, { authenticate_http_readonly: 'true', authenticate_http_readwrite: 'true', authenticate_http_frameworks: 'true', authenticate_agents: 'true' })
    Object.assign(agent, { authenticate_http_readonly: 'true', authenticate_http_readwrite: 'true', authenticate_http_executors: 'true' })
  }
  const notes = [wide
    ? `authentication on (listening on ${ip}): credentials in ${dir}; the CLI on this machine finds its own, elsewhere set MESO_PRINCIPAL=${UP_OPERATOR} and MESO_SECRET (docs/security-auth.md)`
    : `container calls and sandboxes need credentials (tasks cannot drive each other's containers): generated in ${dir}, the CLI finds its own (docs/security-auth.md)`]
  return {
    master, agent, notes,
    registerCli(masterUrl, agentUrl) {
      const cliDir = clusterCredentialsDir()
      const m = new URL(masterUrl)
      const path = join(cliDir, `${m.hostname}_${m.port}.toml`)
      const content = [
        `# Written by \`meso up\` (state in ${base}): the CLI's credential for this cluster, sent only to the addresses below.`,
        '[master]', `addresses = ${tomlList(addressesOf(masterUrl, ip))}`,
        '[agent]', `addresses = ${tomlList(addressesOf(agentUrl, ip))}`,
        '[auth]', `principal = ${JSON.stringify(UP_OPERATOR)}`, `secret = ${JSON.stringify(s.operator)}`, '',
      ].join('\n')
      try {
        mkdirSync(cliDir, { recursive: true, mode: 0o700 })
        writeSecretFile(path, content)
      } catch (err) {
        notes.push(`could not write the CLI's credential to ${path} (${(err as Error).message}); set MESO_PRINCIPAL=${UP_OPERATOR} and MESO_SECRET from ${join(dir, 'credentials.json')}`)
        return () => {}
      }
      // Removed when this cluster stops, unless another `meso up` has rewritten it since.
      return () => { try { if (readFileSync(path, 'utf8') === content) rmSync(path) } catch { /* gone */ } }
    },
  }
}
