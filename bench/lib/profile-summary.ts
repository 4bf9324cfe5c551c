// Where a profiled master's CPU went, by what it was doing: reads a .cpuprofile written under MESO_BENCH_PROFILE
// (bun --cpu-prof) and attributes every sample to the first activity found on its stack (allocation, state answers,
// agent messages, scheduler calls, …), optionally over the last S seconds of the run only (a benchmark's final
// phase). Bun's own markdown summary ranks functions; this answers "how much of the master's time was allocation".
//
//   bun bench/lib/profile-summary.ts <file.cpuprofile> [--last S] [--skip S] [--top N]

interface CallFrame { functionName: string; url: string }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

/** Activities, first match on the stack (innermost frame first) wins. */
const ACTIVITIES: [string, (f: CallFrame) => boolean][] = [
  ['allocation (Master.allocate)', f => f.functionName === 'allocate' && f.url.endsWith('master/master.ts')],
  ['state answers: slices (json-stream)', f => f.url.endsWith('json-stream.ts') && f.functionName === 'pull'],
  ['state answers: document (views)', f => f.url.endsWith('json-stream.ts') || /views-v[01]\.ts$/.test(f.url)],
  ['agent messages (agent-link)', f => f.url.endsWith('agent-link.ts') && f.functionName === 'message'],
  ['agent link writes (corked flush)', f => f.url.endsWith('agent-link.ts') && f.functionName === 'flushDirty'],
  ['scheduler calls', f => f.functionName.includes('handleSchedulerCall')],
  ['other HTTP requests', f => f.url.endsWith('master/server.ts') && f.functionName.includes('fetch')],
  ['timers', f => f.url.endsWith('master/runtime.ts') && f.functionName === 'fire'],
]

/**
 * Time per activity over the profile's last `lastSeconds`, leaving out its final `skipLastSeconds` (what a benchmark
 * did after its measured window: a teardown).
 */
export function summarise(profile: CpuProfile, lastSeconds = Infinity, skipLastSeconds = 0): { seconds: number; rows: { activity: string; ms: number; share: number }[] } {
  const byId = new Map(profile.nodes.map(n => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const memo = new Map<number, string>()
  const activity = (id: number): string => {
    const known = memo.get(id)
    if (known) return known
    const chain: CallFrame[] = []
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) chain.push(byId.get(cur)!.callFrame)
    const found = ACTIVITIES.find(([, test]) => chain.some(test))?.[0]
    const top = chain[0]!
    const name = found ?? `other: ${top.functionName || '(anonymous)'} ${top.url.split('/').slice(-2).join('/')}`.trim()
    memo.set(id, name)
    return name
  }
  const to = profile.endTime - skipLastSeconds * 1e6
  const from = to - lastSeconds * 1e6
  const totals = new Map<string, number>()
  let t = profile.startTime
  let sampled = 0
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]!
    const next = i + 1 < profile.samples.length ? t + profile.timeDeltas[i + 1]! : profile.endTime
    if (t < from || t >= to) continue
    const dt = next - t
    const a = activity(profile.samples[i]!)
    totals.set(a, (totals.get(a) ?? 0) + dt)
    sampled += dt
  }
  const rows = [...totals].sort((a, b) => b[1] - a[1]).map(([a, us]) => ({ activity: a, ms: us / 1000, share: us / sampled }))
  return { seconds: sampled / 1e6, rows }
}

if (import.meta.main) {
  const file = process.argv[2]
  if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [--last S] [--skip S] [--top N]')
  const opt = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : undefined }
  const { seconds, rows } = summarise(await Bun.file(file).json() as CpuProfile, opt('--last'), opt('--skip'))
  console.log(`${seconds.toFixed(1)} s sampled`)
  for (const r of rows.slice(0, opt('--top') ?? 15)) console.log(`${r.ms.toFixed(0).padStart(8)} ms ${(100 * r.share).toFixed(1).padStart(5)} %  ${r.activity}`)
}
