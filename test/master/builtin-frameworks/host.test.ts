// The built-in framework host against a scheduler endpoint that streams a burst of status updates in one chunk: the
// framework's writes for the whole burst are one registrar write, every update with a uuid is acknowledged, and no
// acknowledgement leaves before that write; a burst whose write fails is not acknowledged (the agents resend it).

import { afterEach, describe, expect, test } from 'bun:test'
import type { Server } from 'bun'
import { frame } from '../../../src/core/recordio.ts'
import type { FrameworkInfo } from '../../../src/core/v1/messages.ts'
import { FrameworkHost, type BuiltinFramework, type FrameworkEvent } from '../../../src/master/builtin-frameworks/host.ts'
import { KvArea, type NamespaceStore } from '../../../src/master/builtin-frameworks/store.ts'
import type { RegistrarOp } from '../../../src/master/outbox.ts'

interface Call { type: string; body: any; writesBefore: number }

let server: Server<undefined> | undefined
let host: FrameworkHost | undefined
afterEach(() => { host?.stop(); server?.stop(true) })

const update = (task: string, uuid?: string) => ({
  type: 'UPDATE',
  update: { status: { task_id: { value: task }, agent_id: { value: 'a1' }, state: 'TASK_RUNNING', ...(uuid ? { uuid } : {}) } },
})

/** A scheduler endpoint: SUBSCRIBED, then `burst` as one chunk; every other call recorded with the writes before it. */
function schedulerEndpoint(burst: object[], writes: RegistrarOp[][]): { url: string; calls: Call[] } {
  const calls: Call[] = []
  server = Bun.serve({
    hostname: '127.0.0.1', port: 0,
    async fetch(req) {
      const body = await req.json() as any
      if (body.type !== 'SUBSCRIBE') {
        calls.push({ type: body.type, body, writesBefore: writes.length })
        return new Response(null, { status: 202 })
      }
      const stream = new ReadableStream<Uint8Array>({
        async start(c) {
          c.enqueue(frame(JSON.stringify({ type: 'SUBSCRIBED', subscribed: { framework_id: { value: 'fw-1' } } })))
          await Bun.sleep(50)
          const records = burst.map(e => frame(JSON.stringify(e)))
          const chunk = new Uint8Array(records.reduce((n, r) => n + r.length, 0))
          let at = 0
          for (const r of records) { chunk.set(r, at); at += r.length }
          c.enqueue(chunk)
        },
      })
      return new Response(stream, { status: 200, headers: { 'Mesos-Stream-Id': 'stream-1', 'Content-Type': 'application/json' } })
    },
  })
  return { url: `http://127.0.0.1:${server.port}`, calls }
}

/** Records each task's last state in its namespace, as the services and jobs schedulers do. */
function recordingFramework(store: NamespaceStore): BuiltinFramework {
  return {
    name: 'test',
    frameworkInfo: () => ({ user: 'nobody', name: 'test' }) as FrameworkInfo,
    onSubscribed: () => {},
    onEvent: (e: FrameworkEvent) => {
      const s = e.update?.status
      if (s) store.put(`task/${s.task_id.value}`, String(s.state))
    },
    onDisconnected: () => {},
    stop: () => {},
  }
}

async function until<T>(what: string, f: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = f()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(10)
  }
}

describe('framework host', () => {
  test('a burst of updates: one registrar write, then every update with a uuid acknowledged', async () => {
    const writes: RegistrarOp[][] = []
    const kv = new KvArea([], ops => { writes.push(ops) })
    // A reconciliation answer (no uuid) is handled but not acknowledged.
    const { url, calls } = schedulerEndpoint([update('t1', 'u1'), update('t2', 'u2'), update('t3'), update('t4', 'u4')], writes)
    host = new FrameworkHost(recordingFramework(kv.namespace('test')), kv.namespace('test-framework'), { masterUrl: url })
    host.start()
    const acks = await until('three acknowledgements', () => {
      const a = calls.filter(c => c.type === 'ACKNOWLEDGE')
      return a.length === 3 ? a : undefined
    })
    await Bun.sleep(100)
    expect(calls.filter(c => c.type === 'ACKNOWLEDGE')).toHaveLength(3)
    expect(acks.map(a => a.body.acknowledge.uuid).sort()).toEqual(['u1', 'u2', 'u4'])
    expect(acks[0]!.body).toMatchObject({ framework_id: { value: 'fw-1' }, acknowledge: { agent_id: { value: 'a1' } } })
    // The framework id on subscribing, then the four updates' records in one write, before any acknowledgement.
    expect(writes).toHaveLength(2)
    expect(writes[1]!.map(op => (op as any).key)).toEqual(['task/t1', 'task/t2', 'task/t3', 'task/t4'])
    expect(acks.every(a => a.writesBefore === 2)).toBe(true)
  })

  test('a burst whose registrar write fails is not acknowledged', async () => {
    const writes: RegistrarOp[][] = []
    const kv = new KvArea([], ops => {
      if (ops.some(op => op.op === 'putKv' && op.key.startsWith('task/'))) throw new Error('disk full')
      writes.push(ops)
    })
    const { url, calls } = schedulerEndpoint([update('t1', 'u1'), update('t2', 'u2')], writes)
    host = new FrameworkHost(recordingFramework(kv.namespace('test')), kv.namespace('test-framework'), { masterUrl: url })
    host.start()
    await until('the framework id written', () => writes.length === 1)
    await Bun.sleep(300)
    expect(calls.filter(c => c.type === 'ACKNOWLEDGE')).toEqual([])
  })
})
