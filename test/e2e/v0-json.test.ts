// The v0 endpoints of a real master and agent print doubles as Mesos does (src/core/json/v0-json.ts): resources,
// times, `failover_timeout`, weights and every metric with a fraction (`"cpus":2.0`), counts and ports without.
// `?jsonp=`, gzip and the content types are as before.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { gunzipSync } from 'node:zlib'
import { startOneAgentCluster, type OneAgentCluster } from '../helpers/one-agent-cluster.ts'
import { tempDir, waitFor } from '../helpers/processes.ts'
import { commandTask } from '../helpers/raw-scheduler.ts'

let c: OneAgentCluster

beforeAll(async () => {
  c = await startOneAgentCluster(tempDir(), ['--resources=cpus:2;mem:512;disk:256;ports:[31000-31009]', '--attributes=rack:r1;zone:3'], 'v0-json')
  await c.launch(agentId => [commandTask('sleeper', agentId, 'sleep 60', { cpus: 0.5, mem: 32 })])
  await c.sched.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'sleeper' && e.update.status.state === 'TASK_RUNNING', 30_000)
}, 90_000)
afterAll(async () => { await c?.stop() })

const get = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { headers })
  expect(res.status).toBe(200)
  return { res, text: await res.text() }
}

test('master: /master/state, /master/slaves, /master/tasks, /master/roles, /metrics/snapshot, /version', async () => {
  const { res, text } = await get(`${c.master.url}/master/state`)
  expect(res.headers.get('content-type')).toBe('application/json')
  expect(text).toContain('"resources":{"cpus":2.0,"gpus":0.0,"mem":512.0,"disk":256.0,"ports":"[31000-31009]"}')
  expect(text).toContain('"used_resources":{"cpus":0.5,"gpus":0.0,"mem":32.0,"disk":0.0}')
  expect(text).toContain('"attributes":{"rack":"r1","zone":3.0}')
  expect(text).toContain('"failover_timeout":3600.0')
  expect(text).toMatch(/"start_time":\d+\.\d+/)
  expect(text).toMatch(/"statuses":\[\{"state":"TASK_STARTING","timestamp":\d+\.\d+/)
  expect(text).toContain('"activated_slaves":1,')

  expect((await get(`${c.master.url}/master/slaves`)).text).toContain('"scalar":{"value":2.0}')
  expect((await get(`${c.master.url}/master/tasks`)).text).toContain('"resources":{"cpus":0.5,"gpus":0.0,"mem":32.0,"disk":0.0}')
  expect((await get(`${c.master.url}/master/roles`)).text).toContain('"name":"*","weight":1.0,')
  const metrics = (await get(`${c.master.url}/metrics/snapshot`)).text
  expect(metrics).toContain('"master/elected":1.0')
  expect(metrics).toContain('"master/slaves_active":1.0')
  expect((await get(`${c.master.url}/version`)).text).toMatch(/"build_time":\d+\.0/)
})

test('master: ?jsonp= and gzip keep their wrapping and headers', async () => {
  const jsonp = await get(`${c.master.url}/master/state-summary?jsonp=cb`)
  expect(jsonp.res.headers.get('content-type')).toBe('text/javascript')
  expect(jsonp.text).toStartWith('cb({')
  expect(jsonp.text).toEndWith('});')
  expect(jsonp.text).toContain('"TASK_RUNNING":1')
  expect(jsonp.text).toContain('"used_resources":{"cpus":0.5,')
  const zipped = await fetch(`${c.master.url}/master/state`, { headers: { 'Accept-Encoding': 'gzip' }, decompress: false } as RequestInit)
  expect(zipped.headers.get('content-encoding')).toBe('gzip')
  expect(gunzipSync(new Uint8Array(await zipped.arrayBuffer())).toString()).toContain('"failover_timeout":3600.0')
})

test('agent: /state, /slave(1)/state, /metrics/snapshot, /monitor/statistics, /containers', async () => {
  for (const path of ['/state', '/slave(1)/state']) {
    const { res, text } = await get(`${c.agent.url}${path}`)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(text).toContain('"resources":{"cpus":2.0,"gpus":0.0,"mem":512.0,"disk":256.0,"ports":"[31000-31009]"}')
    expect(text).toContain('"unreserved_resources_full":[{"name":"cpus","type":"SCALAR","scalar":{"value":2.0},"role":"*"}')
    expect(text).toContain('"failover_timeout":3600.0')
    expect(text).toMatch(/"start_time":\d+\.\d+/)
    expect(text).toContain('"attributes":{"rack":"r1","zone":3.0}')
    expect(text).toContain('"resources":{"cpus":0.5,"gpus":0.0,"mem":32.0,"disk":0.0}')
  }
  const metrics = (await get(`${c.agent.url}/metrics/snapshot`)).text
  expect(metrics).toContain('"slave/registered":1.0')
  expect(metrics).toContain('"slave/tasks_running":1.0')
  const stats = await waitFor('usage of the task', async () => {
    const { text } = await get(`${c.agent.url}/monitor/statistics`)
    return text.includes('"statistics"') ? text : undefined
  })
  expect(stats).toMatch(/"timestamp":\d+\.\d+/)
  expect(stats).toContain('"cpus_limit":0.5')
  expect(stats).toContain('"mem_limit_bytes":33554432')
  const jsonp = await get(`${c.agent.url}/containers?jsonp=cb`)
  expect(jsonp.res.headers.get('content-type')).toBe('text/javascript')
  expect(jsonp.text).toStartWith('cb([{')
  expect(jsonp.text).toContain('"cpus_limit":0.5')
})
