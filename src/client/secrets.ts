// The master's secret store over `/api/meso/v1/secrets` (src/master/secrets-api.ts, docs/security-secrets.md).
// Values go out in the request body only; nothing here prints or logs one.

import { CliError, errorText, request } from './cluster.ts'

export interface SecretMeta { path: string; created: number; updated: number; principal?: string }

const endpoint = (master: string) => `${master}/api/meso/v1/secrets`

/** Creates or replaces the secret at `path`; whether it was created or updated. */
export async function putSecret(master: string, path: string, value: Uint8Array): Promise<'created' | 'updated'> {
  const res = await request(endpoint(master), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ path, data: Buffer.from(value).toString('base64') }),
  })
  if (!res.ok) throw new CliError(`creating secret '${path}' failed: ${await errorText(res)}`)
  return ((await res.json()) as { created?: boolean }).created ? 'created' : 'updated'
}

export async function listSecrets(master: string): Promise<SecretMeta[]> {
  const res = await request(endpoint(master), { headers: { Accept: 'application/json' } })
  if (!res.ok) throw new CliError(`listing secrets failed: ${await errorText(res)}`)
  return ((await res.json()) as { secrets?: SecretMeta[] }).secrets ?? []
}

export async function removeSecret(master: string, path: string): Promise<void> {
  const res = await request(`${endpoint(master)}?path=${encodeURIComponent(path)}`, { method: 'DELETE', headers: { Accept: 'application/json' } })
  if (!res.ok) throw new CliError(`removing secret '${path}' failed: ${await errorText(res)}`)
}
