// The v0 JSON writer (src/core/json/v0-json.ts) against JSON.stringify on `/master/state` of a large cluster: the
// writer prints doubles as Mesos does (`"cpus":4.0`), which JSON.stringify cannot, and must not cost much more.
// The document is built once (MasterHarness: agents with attributes and reservations, frameworks with running tasks),
// then each encoder writes it several times, in turns; the best run of each is reported, with their ratios. Then the
// tasks as a streamed answer writes them (src/master/json-stream.ts): 100 per slice, one call per slice.
//
//   node_modules/.bin/bun bench/v0-json.ts [--agents N] [--tasks N] [--runs N]

import { MasterHarness } from '../src/master/harness.ts'
import { v0Elements } from '../src/core/json/v0-json.ts'
import { stateV0, taskV0, V0_SHAPES, writeStateV0 } from '../src/master/views-v0.ts'

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} wants a positive integer, got ${process.argv[i + 1]}`)
  return v
}

export function buildCluster(agents: number, tasks: number): MasterHarness {
  const h = new MasterHarness()
  for (let i = 0; i < agents; i++) {
    const { agent } = h.registerAgent('cpus:8;mem:16384;disk:100000;ports:[31000-32000];cpus(web):2;mem(web):1024', `agent-${i}.example`)
    agent.info.attributes = [
      { name: 'rack', type: 'TEXT', text: { value: `r${i % 40}` } },
      { name: 'zone', type: 'SCALAR', scalar: { value: i % 3 } },
    ]
  }
  const { framework: fw } = h.subscribe({ name: 'bench', failover_timeout: 604800, roles: ['*'] })
  // Tasks launched through offers, one per offer, until `tasks` run or the offers run out.
  let launched = 0
  while (launched < tasks) {
    h.allocate()
    const offers = h.offersFor(fw)
    if (!offers.length) break
    for (const o of offers) {
      if (launched >= tasks) break
      h.launch(fw, o, [{
        name: `web-${launched}`, task_id: { value: `web-${launched}` },
        resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 64 } }],
      }])
      launched++
    }
  }
  return h
}

/** The best of `runs` runs of each encoder, taken in turns so that a busy machine slows them alike. */
function race(runs: number, encoders: Record<string, () => string>): Record<string, { ms: number; bytes: number }> {
  const out: Record<string, { ms: number; bytes: number }> = {}
  for (const name of Object.keys(encoders)) out[name] = { ms: Infinity, bytes: 0 }
  for (let i = 0; i < runs; i++) {
    for (const [name, encode] of Object.entries(encoders)) {
      const t0 = performance.now()
      const text = encode()
      const ms = performance.now() - t0
      const r = out[name]!
      r.bytes = text.length
      r.ms = Math.min(r.ms, ms)
    }
  }
  return out
}

// What a post-pass over JSON.stringify's text would cost: one regex that appends `.0` to the integers of keys named
// like doubles. It is only a yardstick: by name alone it cannot tell a double from an integer, nor see a resource
// named anything else.
const POST_PASS = /"(cpus|gpus|mem|disk|registered_time|reregistered_time|unregistered_time|start_time|elected_time|failover_timeout|timestamp|value)":(-?\d+)(?=[,}])/g

if (import.meta.main) {
  const agents = arg('agents', 10_000)
  const tasks = arg('tasks', 10_000)
  const runs = arg('runs', 10)
  const h = buildCluster(agents, tasks)
  const doc = stateV0(h.state)
  const r = race(runs, {
    stringify: () => JSON.stringify(doc),
    postPass: () => JSON.stringify(doc).replace(POST_PASS, '"$1":$2.0'),
    v0: () => writeStateV0(doc),
  })
  const ms = (x: { ms: number }) => `${x.ms.toFixed(1)} ms`
  console.log(`/master/state, ${agents} agents, ${tasks} tasks (${(r.v0!.bytes / 1e6).toFixed(1)} MB), best of ${runs}: ` +
    `JSON.stringify ${ms(r.stringify!)}, JSON.stringify + regex post-pass ${ms(r.postPass!)}, v0 writer ${ms(r.v0!)}; ` +
    `v0 writer / JSON.stringify ${(r.v0!.ms / r.stringify!.ms).toFixed(2)}, / post-pass ${(r.v0!.ms / r.postPass!.ms).toFixed(2)}`)
  const slices: ReturnType<typeof taskV0>[][] = []
  const all = [...h.state.allTasks({ completed: true })].map(x => x.task)
  for (let i = 0; i < all.length; i += 100) slices.push(all.slice(i, i + 100).map(taskV0))
  const elements = v0Elements<ReturnType<typeof taskV0>>(V0_SHAPES.task)
  const each = (write: (slice: ReturnType<typeof taskV0>[]) => string) => () => slices.map(write).join(',')
  const s = race(runs, { stringify: each(slice => JSON.stringify(slice).slice(1, -1)), v0: each(slice => elements.elements(slice)) })
  console.log(`tasks in slices of 100 (${all.length} tasks, ${(s.v0!.bytes / 1e6).toFixed(1)} MB), best of ${runs}: ` +
    `JSON.stringify ${ms(s.stringify!)}, v0 writer ${ms(s.v0!)}; v0 writer / JSON.stringify ${(s.v0!.ms / s.stringify!.ms).toFixed(2)}`)
}
