import { describe, expect, test } from 'bun:test'
import type { StatusUpdate } from '../../src/core/agent-protocol.ts'
import { openStore } from '../../src/core/store.ts'
import { Checkpoint } from '../../src/agent/checkpoint.ts'
import { StatusUpdateManager } from '../../src/agent/status-update-manager.ts'

const status = (taskId: string, state: string) => ({ task_id: { value: taskId }, state: state as any })

function setup(retry = { min: 20, max: 80 }) {
  const cp = new Checkpoint(openStore(':memory:'))
  const sent: StatusUpdate[] = []
  const latest: string[] = []
  const sum = new StatusUpdateManager(cp, u => { sent.push(u); return true }, (_f, t, s) => latest.push(`${t}:${s}`), retry)
  sum.resume()
  return { cp, sent, latest, sum }
}

describe('status update manager', () => {
  test('one update in flight per task, next one after the ack, strict order', () => {
    const { sent, sum, latest } = setup()
    const a = sum.update('F', status('t1', 'TASK_STARTING'))
    sum.update('F', status('t1', 'TASK_RUNNING'))
    sum.update('F', status('t2', 'TASK_STARTING'))
    expect(sent.map(u => `${u.status.task_id.value}:${u.status.state}`)).toEqual(['t1:TASK_STARTING', 't2:TASK_STARTING'])
    expect(latest).toEqual(['t1:TASK_RUNNING'])
    expect(sum.acknowledge('F', 't1', 'not-it')).toBeUndefined()
    expect(sum.acknowledge('F', 't1', a.uuid!)!.state).toBe('TASK_STARTING')
    expect(sent.at(-1)).toMatchObject({ status: { state: 'TASK_RUNNING' }, latest_state: 'TASK_RUNNING' })
    sum.stop()
  })
  test('retries with doubling backoff until acknowledged', async () => {
    const { sent, sum } = setup()
    const u = sum.update('F', status('t', 'TASK_RUNNING'))
    await Bun.sleep(170) // sends at 0, 20, 60, 140
    expect(sent.length).toBe(4)
    sum.acknowledge('F', 't', u.uuid!)
    await Bun.sleep(100)
    expect(sent.length).toBe(4)
    sum.stop()
  })
  test('updates survive a restart: a new manager over the same checkpoint resends them in order', () => {
    const { cp, sum } = setup({ min: 10_000, max: 10_000 })
    sum.update('F', status('t', 'TASK_RUNNING'))
    sum.update('F', status('t', 'TASK_FINISHED'))
    sum.stop()
    const sent: StatusUpdate[] = []
    const again = new StatusUpdateManager(cp, u => { sent.push(u); return true })
    again.recover()
    again.resume()
    expect(sent.map(u => u.status.state)).toEqual(['TASK_RUNNING'])
    expect(sent[0]!.latest_state).toBe('TASK_FINISHED')
    again.acknowledge('F', 't', sent[0]!.status.uuid!)
    expect(sent.map(u => u.status.state)).toEqual(['TASK_RUNNING', 'TASK_FINISHED'])
    again.acknowledge('F', 't', sent[1]!.status.uuid!)
    expect(cp.pendingUpdates()).toEqual([])
    again.stop()
  })
  test('paused while disconnected; resume sends heads; removing a framework drops its updates', () => {
    const { cp, sent, sum } = setup({ min: 10_000, max: 10_000 })
    sum.pause()
    sum.update('F', status('t', 'TASK_RUNNING'))
    sum.update('G', status('u', 'TASK_RUNNING'))
    expect(sent.length).toBe(0)
    sum.resume('F')
    expect(sent.map(u => u.framework_id)).toEqual(['F'])
    sum.removeFramework('G')
    expect(cp.pendingUpdates().map(u => u.frameworkId)).toEqual(['F'])
    sum.stop()
  })
})
