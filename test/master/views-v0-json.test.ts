// The master's v0 answers as text (src/master/views-v0.ts through src/core/json/v0-json.ts): doubles where Mesos
// writes doubles (`"cpus":4.0`, times in seconds, `failover_timeout`, weights), integers everywhere else, and the
// same values as before once parsed. Built on the harness (src/master/harness.ts): no sockets.

import { expect, test } from 'bun:test'
import { JsonStream, STREAM_MIN_ELEMENTS } from '../../src/master/json-stream.ts'
import { MasterHarness } from '../../src/master/harness.ts'
import {
  quantitiesV0, recoveredSlaveV0, rolesV0, slavesV0, stateSummaryV0, stateV0, tasksV0, writeFrameworksV0, writeRolesV0, writeSlavesV0,
  writeStateSummaryV0, writeStateV0, writeTasksV0, writeWeightsV0, frameworkV0,
} from '../../src/master/views-v0.ts'

/** One agent with a reservation and attributes, one framework with a running task that has a health check. */
function cluster() {
  const h = new MasterHarness()
  const { agent } = h.registerAgent('cpus:4;mem:4096;disk:1000;ports:[31000-31005];cpus(web):1', 'a1.example')
  agent.info.attributes = [{ name: 'zone', type: 'SCALAR', scalar: { value: 2 } }, { name: 'rack', type: 'TEXT', text: { value: 'r1' } }]
  const { framework: fw } = h.subscribe({ name: 'web', failover_timeout: 60, checkpoint: true })
  h.allocate()
  const offer = h.offersFor(fw)[0]!
  h.launch(fw, offer, [{
    name: 'srv', task_id: { value: 'srv' },
    resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1.5 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 256 } }],
    health_check: { type: 'COMMAND', command: { value: 'true' }, delay_seconds: 5, interval_seconds: 10, consecutive_failures: 3 },
  }])
  h.status(agent, fw, 'srv', 'TASK_RUNNING')
  return { h, agent, fw }
}

test('/master/state: doubles with a fraction, integers without, values unchanged', () => {
  const { h } = cluster()
  const doc = stateV0(h.state)
  const text = writeStateV0(doc)
  expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(doc)))
  // Agents: whole resources, times and scalar attributes are doubles; ports and ranges are not.
  expect(text).toContain('"resources":{"cpus":5.0,"gpus":0.0,"mem":4096.0,"disk":1000.0,"ports":"[31000-31005]"}')
  expect(text).toContain('"reserved_resources":{"web":{"cpus":1.0,"gpus":0.0,"mem":0.0,"disk":0.0}}')
  expect(text).toContain('"used_resources":{"cpus":1.5,"gpus":0.0,"mem":256.0,"disk":0.0}')
  expect(text).toContain('"attributes":{"zone":2.0,"rack":"r1"}')
  expect(text).toMatch(/"registered_time":\d+\.\d+/)
  expect(text).toContain('"port":5051')
  // The master's own fields.
  expect(text).toMatch(/"start_time":\d+\.\d+,"elected_time":\d+\.\d+/)
  expect(text).toMatch(/"build_time":\d+\.\d+/)
  expect(text).toContain('"activated_slaves":1,"deactivated_slaves":0,"unreachable_slaves":0')
  // Frameworks and tasks.
  expect(text).toContain('"failover_timeout":60.0')
  expect(text).toMatch(/"registered_time":\d+\.\d+,"unregistered_time":0\.0/)
  expect(text).toMatch(/"statuses":\[\{"state":"TASK_RUNNING","timestamp":\d+\.\d+/)
  expect(text).toContain('"health_check":{"type":"COMMAND","command":{"value":"true"},"delay_seconds":5.0,"interval_seconds":10.0,"consecutive_failures":3}')
})

test('/master/slaves, /master/state-summary, /master/tasks, /master/frameworks, /master/roles, /master/weights', () => {
  const { h, fw } = cluster()
  const slaves = writeSlavesV0(slavesV0(h.state, null))
  expect(slaves).toContain('"unreserved_resources_full":[{"name":"cpus","type":"SCALAR","scalar":{"value":4.0}}')
  expect(slaves).toContain('"ranges":{"range":[{"begin":31000,"end":31005}]}')
  expect(slaves).toContain('"reserved_resources_full":{"web":[{"name":"cpus","type":"SCALAR","scalar":{"value":1.0}')

  const summary = writeStateSummaryV0(stateSummaryV0(h.state))
  expect(summary).toContain('"TASK_RUNNING":1')
  expect(summary).toContain('"offered_resources":{"cpus":0.0')

  const tasks = writeTasksV0(tasksV0(h.state, new URLSearchParams()))
  expect(tasks).toContain('"resources":{"cpus":1.5,"gpus":0.0,"mem":256.0,"disk":0.0}')

  const frameworks = writeFrameworksV0({ frameworks: [frameworkV0(h.state, fw)], completed_frameworks: [], unregistered_frameworks: [] })
  expect(frameworks).toContain('"failover_timeout":60.0')
  expect(frameworks).toContain('"unregistered_frameworks":[]')

  const roles = writeRolesV0(rolesV0(h.state))
  expect(roles).toMatch(/"name":"\*","weight":1\.0,"quota":\{"role":"\*","guarantee":\{\},"limit":\{\},"consumed":\{"cpus":1\.5,"mem":256\.0\}\}/)
  expect(writeWeightsV0([{ role: 'web', weight: 2 }])).toBe('[{"role":"web","weight":2.0}]')
})

test('/master/roles: quantities of each role subtree, as upstream RoleResourceBreakdown', () => {
  const h = new MasterHarness()
  h.registerAgent('cpus:4;mem:1024;cpus(web):1;mem(web/api):64;ports(web/api):[31000-31009]', 'a1.example')
  const { framework: fw } = h.subscribe({ name: 'srv' })
  h.allocate()
  h.launch(fw, h.offersFor(fw)[0]!, [{ name: 't', task_id: { value: 't' }, resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } }] }])
  const roles = rolesV0(h.state).roles
  const star = roles.find(r => r.name === '*')!
  expect(star.allocated).toEqual({ cpus: 0.5 })
  expect(star.resources).toEqual({ cpus: 0.5 })
  expect(roles.find(r => r.name === 'web')!.reserved).toEqual({ cpus: 1, mem: 64, ports: 10 })
  expect(roles.find(r => r.name === 'web/api')!.reserved).toEqual({ mem: 64, ports: 10 })
  expect(writeRolesV0({ roles: [star] })).toContain('"resources":{"cpus":0.5},"allocated":{"cpus":0.5},"offered":{},"reserved":{}')
  expect(writeRolesV0({ roles: roles.filter(r => r.name === 'web') })).toContain('"reserved":{"cpus":1.0,"mem":64.0,"ports":10.0}')
  expect(quantitiesV0([
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 1, end: 3 }, { begin: 10, end: 10 }] } },
    { name: 'disks', type: 'SET', set: { item: ['a', 'b'] } },
    { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'cpus', type: 'SCALAR', scalar: { value: 0.2 } },
    { name: 'gpus', type: 'SCALAR', scalar: { value: 0 } },
  ])).toEqual({ cpus: 0.3, disks: 2, ports: 4 })
})

test('a recovered agent is shown as upstream json(SlaveInfo): id, hostname, port, flattened attributes', () => {
  const { agent } = cluster()
  expect(writeSlavesV0({ slaves: [], recovered_slaves: [recoveredSlaveV0(agent)] }))
    .toBe(`{"slaves":[],"recovered_slaves":[{"id":"${agent.id}","hostname":"a1.example","port":5051,"attributes":{"zone":2.0,"rack":"r1"}}]}`)
})

test('a state answer written in slices (json-stream.ts) is the same text as the one written at once', async () => {
  const h = new MasterHarness()
  for (let i = 0; i < STREAM_MIN_ELEMENTS; i++) h.registerAgent('cpus:2;mem:1024', `a${i}.example`)
  const js = new JsonStream(writeStateV0)
  const sliced = stateV0(h.state, js)
  expect(js.streaming).toBe(true)
  const text = await js.response(sliced, {}).text()
  expect(text).toBe(writeStateV0(stateV0(h.state)))
  expect(text).toContain('"resources":{"cpus":2.0,"gpus":0.0,"mem":1024.0,"disk":0.0}')
})

test('frameworks with long lists are written in pieces when the answer is sent: the same text as at once', async () => {
  const h = new MasterHarness()
  const agents = new Map(Array.from({ length: 400 }, (_, i) => {
    const { agent } = h.registerAgent('cpus:16;mem:16384;ports:[31000-31005]', `a${i}.example`)
    return [agent.id, agent]
  }))
  const { framework: web } = h.subscribe({ name: 'web', failover_timeout: 60, roles: ['*'] })
  h.allocate()
  let n = 0
  const launch = (fw: typeof web, offer: ReturnType<typeof h.offersFor>[number], count: number) =>
    h.launch(fw, offer, Array.from({ length: count }, () => ({
      name: `t${n}`, task_id: { value: `t${n++}` },
      resources: [{ name: 'cpus', type: 'SCALAR' as const, scalar: { value: n % 3 ? 0.5 : 1 } }, { name: 'mem', type: 'SCALAR' as const, scalar: { value: 32 } }],
    })))
  // 300 agents' offers to `web` taken, 18 tasks each; the other 100 stay outstanding. Then `batch` gets what is left.
  for (const o of h.offersFor(web).slice(0, 300)) launch(web, o, 18)
  // Two of them finished: a completed list between the lists of running tasks and of offers.
  for (const id of ['t0', 't1']) {
    const agentId = web.tasks.get(id)!.agent_id.value
    h.status(agents.get(agentId)!, web, id, 'TASK_FINISHED', `u-${id}`)
    h.master.acknowledge(web, agentId, id, `u-${id}`)
  }
  const { framework: batch } = h.subscribe({ name: 'batch', roles: ['*'] })
  h.allocate()
  for (const o of h.offersFor(batch).slice(0, 50)) launch(batch, o, 3)
  h.allocate()
  const js = new JsonStream(writeStateV0)
  const sliced = stateV0(h.state, js)
  expect(js.streaming).toBe(true)
  // The frameworks are one streamed array: their views are made in the slices, not here.
  expect(typeof (sliced as { frameworks: unknown }).frameworks).toBe('string')
  const text = await js.response(sliced, {}).text()
  const whole = writeStateV0(stateV0(h.state))
  expect(text.length).toBe(whole.length)
  expect(text === whole).toBe(true)
  const parsed = JSON.parse(text) as { frameworks: { name: string; tasks: unknown[]; completed_tasks: unknown[]; offers: unknown[] }[] }
  expect(parsed.frameworks.map(f => [f.name, f.tasks.length, f.completed_tasks.length])).toEqual([['web', 5398, 2], ['batch', 150, 0]])
  expect(parsed.frameworks[1]!.offers.length).toBeGreaterThan(0)
  // 5398 tasks, a third of 1 CPU, the rest of 0.5: the CPUs in use are a double.
  expect(text).toMatch(/"used_resources":\{"cpus":\d+\.\d+,/)
})
