// The TaskInfo an app's task gets: containers (an image, volumes, a CNI network with port mappings), secrets and
// fetch, the readiness check as a Mesos check on the container port, the kill grace period, the labels.

import { expect, test } from 'bun:test'
import { parseApp } from '../../../src/master/services/app-definition.ts'
import { buildAppTask } from '../../../src/master/services/task-info.ts'

const NOW = '2026-01-01T00:00:00.000Z'

test('an image on a CNI network with a published port, a readiness check, secrets and fetch', () => {
  const app = parseApp({
    id: '/shop/api', args: ['serve', '--port', '8080'], cpus: 0.5, mem: 128, taskKillGracePeriodSeconds: 5, labels: { tier: 'web' },
    container: { type: 'MESOS', docker: { image: 'nginx:1.25', forcePullImage: true }, volumes: [{ containerPath: '/data', hostPath: '/srv/data', mode: 'RO' }, { containerPath: '/run/pw', secret: 'pw' }],
      portMappings: [{ containerPort: 8080, hostPort: 0, name: 'http-api' }] },
    networks: [{ mode: 'container', name: 'meso' }],
    secrets: { pw: { source: 'shop/db-password' } }, env: { DB_PW: { secret: 'pw' }, MODE: 'prod' },
    fetch: [{ uri: 'https://example.invalid/conf.tgz' }],
    readinessChecks: [{ name: 'ready', portName: 'http-api', path: '/ready', intervalSeconds: 5, timeoutSeconds: 2 }],
    healthChecks: [{ protocol: 'MESOS_TCP', portIndex: 0 }],
  }, { now: NOW })
  const t = buildAppTask(app, 'shop_api.x', 'agent-1', 'node-a', [], [31005], [10000]) as any
  expect(t.command).toMatchObject({ shell: false, value: 'serve', arguments: ['serve', '--port', '8080'], uris: [{ value: 'https://example.invalid/conf.tgz', extract: true, executable: false, cache: false }] })
  const vars = Object.fromEntries(t.command.environment.variables.map((v: any) => [v.name, v]))
  expect(vars.DB_PW).toEqual({ name: 'DB_PW', type: 'SECRET', secret: { type: 'REFERENCE', reference: { name: 'shop/db-password' } } })
  // On a container network the task listens on its container ports.
  expect(vars.PORT0.value).toBe('8080')
  expect(vars.PORT_HTTP_API.value).toBe('8080')
  expect(vars.MARATHON_APP_DOCKER_IMAGE.value).toBe('nginx:1.25')
  expect(vars.MARATHON_APP_LABEL_TIER.value).toBe('web')
  expect(t.container).toEqual({
    type: 'MESOS',
    mesos: { image: { type: 'DOCKER', docker: { name: 'nginx:1.25' }, cached: false } },
    volumes: [
      { container_path: '/data', host_path: '/srv/data', mode: 'RO' },
      { container_path: '/run/pw', mode: 'RO', source: { type: 'SECRET', secret: { type: 'REFERENCE', reference: { name: 'shop/db-password' } } } },
    ],
    network_infos: [{ name: 'meso', port_mappings: [{ host_port: 31005, container_port: 8080, protocol: 'tcp' }] }],
  })
  expect(t.health_check).toMatchObject({ type: 'TCP', tcp: { port: 8080 } })
  expect(t.check).toEqual({ type: 'HTTP', http: { port: 8080, path: '/ready' }, delay_seconds: 0, interval_seconds: 5, timeout_seconds: 2 })
  expect(t.kill_policy).toEqual({ grace_period: { nanoseconds: 5e9 } })
  expect(t.labels.labels).toEqual([{ key: 'meso.io/service', value: '/shop/api' }, { key: 'meso.io/service-version', value: NOW }, { key: 'tier', value: 'web' }])
})
