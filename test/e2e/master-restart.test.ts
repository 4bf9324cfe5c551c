// kill -9 of the master while a framework is subscribed and its tasks run: after a restart on the same work dir
// the agent re-registers, the framework re-subscribes with its FrameworkID, and reconciliation reports the truth.

import { afterAll, expect, test } from 'bun:test'
import { commandTask, frameworkInfo, RawScheduler } from '../helpers/raw-scheduler.ts'
import { startAgent, startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'

const dir = tempDir()
const daemons: Daemon[] = []
afterAll(async () => { for (const d of daemons) await d.kill('SIGKILL').catch(() => {}) })

test('framework, agent and tasks survive a master kill -9', async () => {
  let master = await startMaster(`${dir}/master`, ['--allocation_interval=100ms', '--agent_reregister_timeout=30secs'])
  daemons.push(master)
  const agent = await startAgent(master.url, `${dir}/agent`, ['--resources=cpus:2;mem:2048', '--registration_backoff_factor=100ms'])
  daemons.push(agent)
  const port = new URL(master.url).port

  const s1 = new RawScheduler(master.url)
  await s1.subscribe(frameworkInfo('survivor', { failover_timeout: 3600 }))
  const frameworkId = s1.frameworkId
  const offers = await s1.next(e => e.type === 'OFFERS')
  const o = offers.offers.offers[0]
  await s1.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [
    commandTask('runner', o.agent_id.value, 'sleep 120'),
    commandTask('quick', o.agent_id.value, 'exit 0'),
  ] } }] } })
  await s1.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'runner' && e.update.status.state === 'TASK_RUNNING')
  await s1.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'quick' && e.update.status.state === 'TASK_FINISHED')

  await master.kill('SIGKILL')
  s1.close()
  master = await startMaster(`${dir}/master`, [`--port=${port}`, '--allocation_interval=100ms', '--agent_reregister_timeout=30secs'])
  daemons.push(master)

  // The restarted master still knows the framework from its registry and accepts the same id.
  const frameworks = await (await fetch(`${master.url}/master/frameworks`)).json() as any
  expect(frameworks.frameworks.map((f: any) => f.id)).toContain(frameworkId)

  await waitFor('the agent to re-register', async () => {
    const st = await (await fetch(`${master.url}/master/slaves`)).json() as any
    return st.slaves.some((s: any) => s.id === o.agent_id.value && s.active)
  })
  const s2 = new RawScheduler(master.url)
  const sub = await s2.subscribe(frameworkInfo('survivor', { id: { value: frameworkId }, failover_timeout: 3600 }))
  expect(sub.subscribed.framework_id.value).toBe(frameworkId)

  const mark = s2.events.length
  await s2.call('RECONCILE', { reconcile: { tasks: [] } })
  const r = await s2.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'runner' && e.update.status.reason === 'REASON_RECONCILIATION', 10_000, mark)
  expect(r.update.status.state).toBe('TASK_RUNNING')
  expect(r.update.status.agent_id.value).toBe(o.agent_id.value)

  const m2 = s2.events.length
  await s2.call('RECONCILE', { reconcile: { tasks: [{ task_id: { value: 'quick' }, agent_id: o.agent_id }, { task_id: { value: 'never-launched' }, agent_id: o.agent_id }] } })
  const never = await s2.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'never-launched', 10_000, m2)
  expect(never.update.status.state).toBe('TASK_GONE')

  // The task is still controllable through the re-subscribed framework.
  await s2.call('KILL', { kill: { task_id: { value: 'runner' } } })
  const killed = await s2.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'runner' && e.update.status.state === 'TASK_KILLED', 15_000)
  expect(killed.update.status.source).toBe('SOURCE_EXECUTOR')
  await s2.call('TEARDOWN')
  s2.close()
})
