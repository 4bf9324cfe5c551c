// Why `meso task run` cannot place its task (src/client/placement-diagnosis.ts): never (fail at once, naming what is
// short where) or not yet (the reason the spinner and the --timeout hint show).

import { describe, expect, test } from 'bun:test'
import { agentsFromGetAgents, neverFits, waitingReason, type AgentResources, type ClusterView, type PlacementRequest } from '../../src/client/placement-diagnosis.ts'
import { parseResourcesFlag, Resources } from '../../src/core/resources.ts'

const r = (text: string) => Resources.of(parseResourcesFlag(text))
const agent = (id: string, total: string, allocated = '', extra: Partial<AgentResources> = {}): AgentResources => ({
  id, hostname: `${id}.example`, active: true, total: r(total), allocated: allocated ? r(allocated) : Resources.EMPTY, offered: Resources.EMPTY, ...extra,
})
const cluster = (...agents: AgentResources[]): ClusterView => ({ agents, filterGpuResources: true })
const ask = (text: string, gpuCapable = false): PlacementRequest => ({ want: r(text), gpuCapable })
const never = (req: PlacementRequest, c: ClusterView) => neverFits(req, c, req.want.toString())

describe('never fits', () => {
  test('cpus no agent has: the largest agent is named', () => {
    const c = cluster(agent('a1', 'cpus:2;mem:4096'), agent('a2', 'cpus:1;mem:4096'))
    const msg = never(ask('cpus:1000;mem:32'), c)!
    expect(msg).toContain('no agent can fit')
    expect(msg).toContain('cpus 1000: the largest agent has 2 (agent a1 on a1.example)')
    expect(msg).toEndWith('lower --cpus')
    expect(msg).not.toContain('--mem')
  })

  test('GPUs on a cluster without any: no agent has gpus, and the hint says so', () => {
    const msg = never(ask('cpus:0.1;mem:32;gpus:1', true), cluster(agent('a1', 'cpus:2;mem:4096')))!
    expect(msg).toContain('gpus 1: no agent has gpus')
    expect(msg).toContain('run without --gpus or add GPU agents')
    expect(msg).not.toContain('--cpus')
  })

  test('host ports outside every agent\'s range name the ports and the range the agents offer', () => {
    const c = cluster(agent('a1', 'cpus:2;mem:4096;ports:[31000-32000]'))
    const msg = never(ask('cpus:0.1;mem:32;ports:[8080-8080]'), c)!
    expect(msg).toContain('ports 8080 not offered by any agent (agents offer ports [31000-32000])')
    expect(msg).toContain('-p')
    expect(msg).not.toContain('--cpus')
    expect(never(ask('cpus:0.1;mem:32;ports:[31080-31080]'), c)).toBeUndefined()
  })

  test('ports each on some agent but never all on one', () => {
    const c = cluster(agent('a1', 'cpus:2;mem:4096;ports:[31000-31000]'), agent('a2', 'cpus:2;mem:4096;ports:[32000-32000]'))
    expect(never(ask('cpus:0.1;mem:32;ports:[31000-31000,32000-32000]'), c)).toContain('no agent offers all of ports 31000,32000')
  })

  test('every resource fits somewhere but not together: per-agent reasons', () => {
    const c = cluster(agent('a1', 'cpus:8;mem:512'), agent('a2', 'cpus:1;mem:8192'))
    const msg = never(ask('cpus:4;mem:4096'), c)!
    expect(msg).toContain('agent a1 on a1.example lacks mem 4096')
    expect(msg).toContain('agent a2 on a2.example lacks cpus 4')
  })

  test('agents with GPUs are out of reach without --gpus (filter_gpu_resources); --gpus 0 reaches them', () => {
    const c = cluster(agent('g1', 'cpus:8;mem:8192;gpus:8'))
    const msg = never(ask('cpus:0.1;mem:32'), c)!
    expect(msg).toContain('it fits only 1 agent with GPUs (agent g1 on g1.example), offered only to tasks that ask for GPUs')
    expect(msg).toEndWith('add --gpus 0 to run there without a GPU')
    // Too big for the GPU agent as well: its size counts, and --gpus 0 is not suggested.
    const big = never(ask('cpus:100;mem:32'), cluster(agent('a1', 'cpus:2;mem:4096'), agent('g1', 'cpus:8;mem:8192;gpus:8')))!
    expect(big).toContain('cpus 100: the largest agent has 8 (agent g1 on g1.example)')
    expect(big).not.toContain('--gpus')
    expect(never(ask('cpus:0.1;mem:32', true), c)).toBeUndefined()
    expect(never(ask('cpus:0.1;mem:32'), { ...c, filterGpuResources: false })).toBeUndefined()
  })

  test('a request that fits an idle agent, even a busy or deactivated one, is not "never"; no agents is not either', () => {
    expect(never(ask('cpus:2;mem:32'), cluster(agent('a1', 'cpus:2;mem:4096', 'cpus:2;mem:100', { active: false })))).toBeUndefined()
    expect(never(ask('cpus:2;mem:32'), cluster())).toBeUndefined()
  })

  test('reserved resources do not count: meso task run asks for unreserved ones', () => {
    const got = agentsFromGetAgents({ agents: [{
      agent_info: { id: { value: 'a1' }, hostname: 'h' }, active: true,
      total_resources: [...parseResourcesFlag('cpus:1;mem:4096'), ...parseResourcesFlag('cpus(web):8', '*')],
      allocated_resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, allocation_info: { role: '*' } }],
    }] })
    expect(got[0]!.total.scalar('cpus')).toBe(1)
    expect(got[0]!.allocated.scalar('cpus')).toBe(1)
    expect(never(ask('cpus:4;mem:32'), cluster(got[0]!))).toContain('cpus 4: the largest agent has 1')
  })
})

describe('waiting', () => {
  test('cpus in use on every agent: the reason and hint name cpus only', () => {
    const c = cluster(agent('a1', 'cpus:2;mem:4096', 'cpus:2;mem:64'), agent('a2', 'cpus:2;mem:4096', 'cpus:1.95'))
    const w = waitingReason(ask('cpus:1;mem:32'), c, new Map())
    expect(w.reason).toBe('cpus 1 in use on 2/2 agents')
    expect(w.hint).toBe('lower --cpus, or wait longer (--timeout)')
  })

  test('the newest offer of an agent replaces what GET_AGENTS said', () => {
    const c = cluster(agent('a1', 'cpus:2;mem:4096', 'cpus:2'))
    expect(waitingReason(ask('cpus:1;mem:32'), c, new Map([['a1', r('cpus:0.5;mem:4000')]])).reason).toBe('cpus 1 in use on 1/1 agents')
    expect(waitingReason(ask('cpus:1;mem:32'), c, new Map([['a1', r('cpus:2;mem:16')]])).reason).toBe('mem 32 in use on 1/1 agents')
  })

  test('ports in use on one agent, not offered on the other', () => {
    const c = cluster(agent('a1', 'cpus:2;mem:4096;ports:[31000-32000]', 'ports:[31080-31080]'), agent('a2', 'cpus:2;mem:4096;ports:[40000-40010]'))
    const w = waitingReason(ask('cpus:0.1;mem:32;ports:[31080-31080]'), c, new Map())
    expect(w.reason).toBe('ports 31080 in use on 1/2 agents, ports 31080 not offered on 1/2 agents')
    expect(w.hint).toContain('pick others with -p')
    expect(w.hint).not.toContain('--cpus')
  })

  test('deactivated agents, GPU-only agents, room without an offer yet', () => {
    const c = cluster(
      agent('a1', 'cpus:2;mem:4096', '', { active: false }),
      agent('g1', 'cpus:8;mem:8192;gpus:1'),
      agent('a3', 'cpus:2;mem:4096'),
    )
    const w = waitingReason(ask('cpus:1;mem:32'), c, new Map())
    expect(w.reason).toBe('deactivated on 1/3 agents, GPUs only for --gpus tasks on 1/3 agents, 1/3 agents have room but made no offer yet')
    expect(w.hint).toContain('reactivate')
  })

  test('no agents, and no cluster view (GET_AGENTS refused)', () => {
    expect(waitingReason(ask('cpus:1;mem:32'), cluster(), new Map()).reason).toBe('no agents registered')
    expect(waitingReason(ask('cpus:1;mem:32'), undefined, new Map()).reason).toBe('no offers yet')
    expect(waitingReason(ask('cpus:1;mem:32'), undefined, new Map([['a1', r('cpus:0.5;mem:64')]])).reason).toBe('cpus 1 in use on 1/1 agents')
  })
})
