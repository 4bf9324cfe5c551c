// `meso image …` and `meso task run --image`: image stores live on the agents, so the CLI asks the master for its
// agents (GET_AGENTS; their pid is `slave(1)@ip:port`) and talks to each agent's /api/meso/v1/images endpoints
// (there is no Mesos API for pull, list, remove or load). Registry passwords come from stdin and travel only inside
// a Docker config.json (request body, or an Image.Docker.config VALUE secret); never on a command line, never logged.

import { readRecords } from '../core/recordio.ts'
import { dockerConfigFor, type RegistryCredentials } from '../core/registry/docker-config.ts'
import { DOCKER_HUB, parseReference } from '../core/registry/reference.ts'
import type { ContainerInfo, Image, RLimit } from '../core/v1/messages.ts'
import { CliError, errorText, operatorCall, request } from './cluster.ts'
import { EXIT } from './exit-codes.ts'
import { agentAddress } from './networks.ts'
import { agentOrigin } from './tls.ts'

export interface AgentTarget { id: string; address: string; hostname: string }

/** The agents to act on: all registered ones, or the one `--agent` names (id, unique id prefix, or hostname). */
export async function targetAgents(master: string, pick?: string): Promise<AgentTarget[]> {
  const r = await operatorCall<{ agents?: { pid?: string; active?: boolean; agent_info: { id?: { value: string }; hostname: string } }[] }>(master, 'GET_AGENTS')
  // Disconnected agents cannot be reached; they come back into the list when they re-register.
  const all = (r.agents ?? []).filter(a => a.active !== false).map(a => ({ id: a.agent_info.id?.value ?? '', address: agentAddress(a.pid) ?? '', hostname: a.agent_info.hostname })).filter(a => a.address)
  if (!all.length) throw new CliError('no agents are registered with the master', EXIT.FAILED)
  if (!pick) return all
  const exact = all.filter(a => a.id === pick || a.address === pick)
  if (exact.length) return exact
  const prefix = all.filter(a => a.id.startsWith(pick))
  if (prefix.length === 1) return prefix
  if (prefix.length > 1) throw new CliError(`--agent ${pick} is ambiguous: ${prefix.map(a => a.id).join(', ')}`, EXIT.USAGE)
  const byHost = all.filter(a => a.hostname === pick)
  if (byHost.length) return byHost
  throw new CliError(`no agent ${pick} (agents: ${all.map(a => a.id).join(', ')})`, EXIT.USAGE)
}

/** The registry host a reference names, for the credentials' config.json (Docker Hub when it names none). */
export function registryOf(reference: string): string {
  try { return parseReference(reference, DOCKER_HUB).registry } catch (err) { throw new CliError(`invalid image reference: ${(err as Error).message}`, EXIT.USAGE) }
}

/** Reads a password from stdin (`--registry-password-stdin`), without its trailing newline. */
export async function readPasswordStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('registry password (then Enter, Ctrl-D): ')
  const text = await new Response(Bun.stdin.stream()).text()
  const password = text.replace(/\r?\n$/, '')
  if (!password) throw new CliError('--registry-password-stdin: nothing on stdin', EXIT.USAGE)
  return password
}

/** Credentials from --registry-user and --registry-password-stdin (both or neither). */
export async function registryCredentialsFromFlags(user: string | undefined, passwordStdin: boolean | undefined): Promise<RegistryCredentials | undefined> {
  if (passwordStdin && !user) throw new CliError('--registry-password-stdin needs --registry-user', EXIT.USAGE)
  if (user && !passwordStdin) throw new CliError('--registry-user needs --registry-password-stdin (meso never takes a password on the command line)', EXIT.USAGE)
  return user ? { username: user, password: await readPasswordStdin() } : undefined
}

/** Image for ContainerInfo.mesos.image; credentials go in as a Docker config.json VALUE secret (Mesos 1.3+). */
export function dockerImage(reference: string, creds?: RegistryCredentials): Image {
  const image: Image = { type: 'DOCKER', docker: { name: reference } }
  if (creds) {
    const config = dockerConfigFor(registryOf(reference), creds)
    image.docker!.config = { type: 'VALUE', value: { data: Buffer.from(config).toString('base64') } }
  }
  return image
}

/** `meso task run`'s ContainerInfo: MESOS with its rlimits and, with --image, the image (and its credentials). */
export async function taskContainer(rlimits: RLimit[], image?: string, user?: string, passwordStdin?: boolean): Promise<ContainerInfo | undefined> {
  const creds = await registryCredentialsFromFlags(user, passwordStdin)
  if (creds && !image) throw new CliError('--registry-user is for --image', EXIT.USAGE)
  if (!rlimits.length && !image) return undefined
  return { type: 'MESOS', ...(rlimits.length ? { rlimit_info: { rlimits } } : {}), ...(image ? { mesos: { image: dockerImage(image, creds) } } : {}) }
}

const imagesUrl = (a: AgentTarget, path = '') => `${agentOrigin(a.address)}/api/meso/v1/images${path}`

async function agentCall<T>(a: AgentTarget, path: string, init: RequestInit): Promise<T> {
  const res = await request(imagesUrl(a, path), init)
  if (res.status === 404 && !path) throw new CliError(`agent ${a.id} (${a.address}) has no image store (it needs the linux launcher and --image_providers=docker)`)
  if (!res.ok) throw new CliError(`agent ${a.id} (${a.address}): ${await errorText(res)}`)
  return (await res.json()) as T
}

const postJson = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) })

export interface AgentImage {
  reference: string; digest: string; size: number; layers: number; source: string; pulled_at: number; last_used: number; containers: number
}

export async function listImages(a: AgentTarget): Promise<AgentImage[]> {
  return (await agentCall<{ images: AgentImage[] }>(a, '', { headers: { Accept: 'application/json' } })).images
}

/** Removes an image from one agent; undefined when that agent does not have it. */
export async function removeImage(a: AgentTarget, reference: string): Promise<{ removed: string[]; freed_bytes: number } | undefined> {
  const res = await request(imagesUrl(a, '/remove'), postJson({ reference }))
  if (res.status === 404 && (res.headers.get('content-type') ?? '').startsWith('text/plain') && (await res.clone().text()).startsWith('no image')) return undefined
  if (!res.ok) throw new CliError(`agent ${a.id} (${a.address}): ${await errorText(res)}`)
  return (await res.json()) as { removed: string[]; freed_bytes: number }
}

export async function gcImages(a: AgentTarget, all: boolean): Promise<{ removed: string[]; freed_bytes: number }> {
  return agentCall(a, '/gc', postJson({ all }))
}

export async function loadImage(a: AgentTarget, file: string, name?: string): Promise<{ images: { reference: string; digest: string; size: number; layers: number }[] }> {
  const q = name ? `?name=${encodeURIComponent(name)}` : ''
  return agentCall(a, `/load${q}`, { method: 'POST', headers: { 'Content-Type': 'application/x-tar', Accept: 'application/json' }, body: Bun.file(file) })
}

/** A progress record from an agent's pull stream (see src/agent/provisioner/image-puller.ts PullEvent). */
export type PullRecord =
  | { type: 'resolved'; reference: string; digest: string; layers: { digest: string; size?: number }[] }
  | { type: 'layer'; digest: string; status: string; current?: number; total?: number }
  | { type: 'done'; reference: string; digest: string; size: number }
  | { type: 'error'; message: string }

/** Pulls on one agent, calling `onRecord` for each progress record; resolves with the final record. */
export async function pullOnAgent(a: AgentTarget, reference: string, creds: RegistryCredentials | undefined, onRecord: (r: PullRecord) => void): Promise<PullRecord> {
  const body = { reference, ...(creds ? { docker_config: dockerConfigFor(registryOf(reference), creds) } : {}) }
  const res = await request(imagesUrl(a, '/pull'), { ...postJson(body), headers: { 'Content-Type': 'application/json', Accept: 'application/recordio' } })
  if (res.status === 404) throw new CliError(`agent ${a.id} (${a.address}) has no image store (it needs the linux launcher and --image_providers=docker)`)
  if (!res.ok || !res.body) throw new CliError(`agent ${a.id} (${a.address}): ${await errorText(res)}`)
  let last: PullRecord | undefined
  for await (const rec of readRecords(res.body)) {
    last = JSON.parse(new TextDecoder().decode(rec)) as PullRecord
    onRecord(last)
  }
  if (!last || (last.type !== 'done' && last.type !== 'error')) return { type: 'error', message: `agent ${a.id} closed the pull stream early` }
  return last
}
