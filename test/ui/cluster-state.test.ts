// The operator-event reducer behind the web UI (src/ui/model/cluster-state.ts).

import { expect, test } from 'bun:test'
import { applyEvent, countByState, emptyClusterState, MAX_COMPLETED_TASKS, taskHealth, taskIps, taskKey, usedBy, type WireTask } from '../../src/ui/model/cluster-state.ts'

const task = (id: string, state: string, extra: Partial<WireTask> = {}): WireTask => ({
  name: id, task_id: { value: id }, framework_id: { value: 'F' }, agent_id: { value: 'A' }, state,
  statuses: [{ task_id: { value: id }, state, timestamp: 100 }], ...extra,
})
const agent = (id: string, hostname = `host-${id}`) => ({ agent_info: { id: { value: id }, hostname }, active: true, pid: `slave(1)@10.0.0.1:5051` })
const framework = (id: string, name = `fw-${id}`) => ({ framework_info: { id: { value: id }, name }, active: true, connected: true })

function subscribed() {
  return applyEvent(emptyClusterState(), {
    type: 'SUBSCRIBED',
    subscribed: {
      heartbeat_interval_seconds: 15,
      get_state: {
        get_tasks: { tasks: [task('t1', 'TASK_RUNNING')], completed_tasks: [task('t0', 'TASK_FINISHED')] },
        get_agents: { agents: [agent('A')], recovered_agents: [{ id: { value: 'B' }, hostname: 'old' }] },
        get_frameworks: { frameworks: [framework('F')], completed_frameworks: [framework('G')] },
      },
    },
  }, 1000)
}

test('SUBSCRIBED replaces the whole state with the snapshot', () => {
  const s = subscribed()
  expect(s.subscribed).toBe(true)
  expect([...s.tasks.keys()].sort()).toEqual(['F/t0', 'F/t1'])
  expect(s.agents.has('A')).toBe(true)
  expect(s.goneAgents.get('B')).toEqual({ id: 'B', hostname: 'old', since: 1000, why: 'recovered' })
  expect(s.frameworks.has('F')).toBe(true)
  expect(s.completedFrameworks.has('G')).toBe(true)
  // A re-subscription (after a reconnect) forgets what the new snapshot no longer has.
  applyEvent(s, { type: 'SUBSCRIBED', subscribed: { get_state: { get_tasks: { tasks: [task('t2', 'TASK_STAGING')] } } } })
  expect([...s.tasks.keys()]).toEqual(['F/t2'])
  expect(s.agents.size).toBe(0)
})

test('task events add tasks and append their statuses, one per state', () => {
  const s = subscribed()
  const v = s.version
  applyEvent(s, { type: 'TASK_ADDED', task_added: { task: task('t3', 'TASK_STAGING', { statuses: [] }) } })
  expect(s.tasks.get(taskKey('F', 't3'))?.state).toBe('TASK_STAGING')
  const update = (state: string, timestamp: number, healthy?: boolean) =>
    applyEvent(s, { type: 'TASK_UPDATED', task_updated: { framework_id: { value: 'F' }, state, status: { task_id: { value: 't3' }, state, timestamp, healthy } } })
  update('TASK_STARTING', 1)
  update('TASK_RUNNING', 2)
  update('TASK_RUNNING', 3, true) // a health result: same state, replaces the last status
  const t = s.tasks.get('F/t3')!
  expect(t.state).toBe('TASK_RUNNING')
  expect(t.statuses!.map(x => [x.state, x.timestamp])).toEqual([['TASK_STARTING', 1], ['TASK_RUNNING', 3]])
  expect(taskHealth(t)).toBe(true)
  expect(s.version).toBe(v + 4)
  // An update for a task never seen (hidden by the ACLs) changes nothing.
  applyEvent(s, { type: 'TASK_UPDATED', task_updated: { framework_id: { value: 'F' }, state: 'TASK_RUNNING', status: { task_id: { value: 'nope' }, state: 'TASK_RUNNING' } } })
  expect(s.tasks.has('F/nope')).toBe(false)
  expect(s.version).toBe(v + 4)
})

test('a latest state ahead of its status shows in the history until the status arrives', () => {
  const s = subscribed()
  applyEvent(s, { type: 'TASK_UPDATED', task_updated: { framework_id: { value: 'F' }, state: 'TASK_KILLED', status: { task_id: { value: 't1' }, state: 'TASK_RUNNING', timestamp: 100 } } }, 200_000)
  let t = s.tasks.get('F/t1')!
  expect(t.state).toBe('TASK_KILLED')
  expect(t.statuses!.map(x => [x.state, x.latestStateOnly ?? false])).toEqual([['TASK_RUNNING', false], ['TASK_KILLED', true]])
  expect(t.statuses![1]!.timestamp).toBe(200)
  applyEvent(s, { type: 'TASK_UPDATED', task_updated: { framework_id: { value: 'F' }, state: 'TASK_KILLED', status: { task_id: { value: 't1' }, state: 'TASK_KILLED', timestamp: 201, message: 'killed' } } })
  t = s.tasks.get('F/t1')!
  expect(t.statuses!.map(x => [x.state, x.latestStateOnly ?? false])).toEqual([['TASK_RUNNING', false], ['TASK_KILLED', false]])
})

test('agents come and go; a removed agent becomes an alert-worthy gone agent until it is back', () => {
  const s = subscribed()
  applyEvent(s, { type: 'AGENT_ADDED', agent_added: { agent: agent('C', 'new') } })
  expect(s.agents.has('C')).toBe(true)
  applyEvent(s, { type: 'AGENT_REMOVED', agent_removed: { agent_id: { value: 'C' } } }, 5000)
  expect(s.agents.has('C')).toBe(false)
  expect(s.goneAgents.get('C')).toEqual({ id: 'C', hostname: 'new', since: 5000, why: 'removed' })
  applyEvent(s, { type: 'AGENT_ADDED', agent_added: { agent: agent('C', 'new') } })
  expect(s.goneAgents.has('C')).toBe(false)
  // The recovered agent re-registering clears it too.
  applyEvent(s, { type: 'AGENT_ADDED', agent_added: { agent: agent('B', 'old') } })
  expect(s.goneAgents.size).toBe(0)
})

test('frameworks are added, updated and moved to completed when removed', () => {
  const s = subscribed()
  applyEvent(s, { type: 'FRAMEWORK_ADDED', framework_added: { framework: framework('H', 'marathon') } })
  applyEvent(s, { type: 'FRAMEWORK_UPDATED', framework_updated: { framework: { ...framework('H', 'marathon'), connected: false } } })
  expect(s.frameworks.get('H')?.connected).toBe(false)
  applyEvent(s, { type: 'FRAMEWORK_REMOVED', framework_removed: { framework_info: { id: { value: 'H' }, name: 'marathon' } } })
  expect(s.frameworks.has('H')).toBe(false)
  expect(s.completedFrameworks.get('H')?.framework_info.name).toBe('marathon')
})

test('heartbeats and unknown events change nothing but the liveness time', () => {
  const s = subscribed()
  const v = s.version
  applyEvent(s, { type: 'HEARTBEAT' }, 9000)
  applyEvent(s, { type: 'SOMETHING_NEW' }, 9001)
  expect(s.version).toBe(v)
  expect(s.lastEventAt).toBe(9001)
})

test('completed tasks are bounded, the oldest dropped first; active ones are never dropped', () => {
  const s = subscribed()
  for (let i = 0; i < MAX_COMPLETED_TASKS + 10; i++) {
    applyEvent(s, { type: 'TASK_ADDED', task_added: { task: task(`c${i}`, 'TASK_FINISHED', { statuses: [{ state: 'TASK_FINISHED', timestamp: 1000 + i }] }) } })
  }
  const completed = [...s.tasks.values()].filter(t => t.state === 'TASK_FINISHED')
  expect(completed.length).toBe(MAX_COMPLETED_TASKS)
  expect(s.tasks.has('F/t0')).toBe(false) // timestamp 100: the oldest
  expect(s.tasks.has('F/c0')).toBe(false)
  expect(s.tasks.has(`F/c${MAX_COMPLETED_TASKS + 9}`)).toBe(true)
  expect(s.tasks.has('F/t1')).toBe(true)
})

test('counts, IPs and health from tasks', () => {
  const tasks = [task('a', 'TASK_RUNNING'), task('b', 'TASK_RUNNING'), task('c', 'TASK_FAILED')]
  expect(Object.fromEntries(countByState(tasks))).toEqual({ TASK_RUNNING: 2, TASK_FAILED: 1 })
  const t = task('n', 'TASK_RUNNING', {
    statuses: [
      { state: 'TASK_STARTING', container_status: { network_infos: [{ ip_addresses: [{ ip_address: '10.1.0.1' }] }] } },
      { state: 'TASK_RUNNING', container_status: { network_infos: [{ ip_addresses: [{ ip_address: '10.1.0.2' }, { ip_address: 'fd00::2' }] }] } },
    ],
  })
  expect(taskIps(t)).toEqual(['10.1.0.2', 'fd00::2'])
  expect(taskIps(task('h', 'TASK_RUNNING'))).toEqual([])
  expect(taskHealth(task('h', 'TASK_RUNNING'))).toBeUndefined()
})

test('usage by agent counts the active tasks only', () => {
  const cpus = (n: number) => [{ name: 'cpus', scalar: { value: n } }, { name: 'mem', scalar: { value: 64 } }]
  const tasks = [
    task('a', 'TASK_RUNNING', { resources: cpus(1) }), task('b', 'TASK_STAGING', { resources: cpus(0.5) }),
    task('c', 'TASK_FINISHED', { resources: cpus(4) }), task('d', 'TASK_RUNNING', { agent_id: { value: 'B' }, resources: cpus(2) }),
  ]
  const used = usedBy(tasks, t => t.agent_id.value)
  expect(used.get('A')).toEqual({ cpus: 1.5, mem: 128, disk: 0, gpus: 0 })
  expect(used.get('B')?.cpus).toBe(2)
  expect(used.has('C')).toBe(false)
})
