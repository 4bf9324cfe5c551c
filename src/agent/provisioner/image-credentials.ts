// Registry credentials a task brings with its image: Image.Docker.config, a Secret whose VALUE is a Docker
// config.json (Mesos 1.3+), or the deprecated Image.Docker.credential {principal, secret}. Pure; error messages
// describe what is wrong without echoing the secret.

import { DockerConfigError, parseDockerConfig, type RegistryCredentials } from '../../core/registry/docker-config.ts'
import type { Image } from '../../core/v1/messages.ts'

export function credentialsFromImage(image: Image, registry: string): Map<string, RegistryCredentials> | undefined {
  const docker = image.docker
  if (!docker) return undefined
  const out = new Map<string, RegistryCredentials>()
  if (docker.credential?.principal) out.set(registry, { username: docker.credential.principal, password: docker.credential.secret ?? '' })
  const secret = docker.config
  if (secret) {
    if (secret.type === 'REFERENCE' || (!secret.value && secret.reference)) {
      throw new DockerConfigError('Image.Docker.config is a secret REFERENCE, but this agent has no secret resolver; send the docker config.json as a VALUE secret')
    }
    const text = secretText(secret.value?.data)
    if (text === undefined) throw new DockerConfigError('Image.Docker.config has no value')
    // Task config first: it overrides the legacy credential for the same registry.
    for (const [host, c] of parseDockerConfig(text, 'Image.Docker.config')) out.set(host, c)
  }
  return out.size ? out : undefined
}

/** Secret.Value.data is bytes: base64 in JSON. Tolerate raw JSON text from clients that did not encode it. */
function secretText(data: string | undefined): string | undefined {
  if (data === undefined || data === '') return undefined
  const t = data.trim()
  if (t.startsWith('{')) return t
  return Buffer.from(t, 'base64').toString('utf8')
}
