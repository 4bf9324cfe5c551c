// GPU agents end to end, on machines without a GPU: a fake nvidia-smi (test/helpers/fake-gpus.ts) reports eight
// H100s. With the posix launcher: the agent offers gpus:8 and gpu_models, only GPU_RESOURCES frameworks get its
// offers, `meso task run --gpus N` tasks get N indices, freed on task end and kept across an agent restart. With
// the linux launcher (when crun is here): crun creates the GPU's node inside the container only, and the device
// cgroup admits it while denying every other NVIDIA device. No device node is ever made on the host: the nodes
// exist in containers' private /dev, and the host has no NVIDIA driver behind them.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { DEFAULT_LINUX_ISOLATION } from '../../src/agent/isolators/index.ts'
import { FAKE_GPUS, FAKE_MODEL, writeFakeNvidiaSmi } from '../helpers/fake-gpus.ts'
import { meso, startDaemon, startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'
import { frameworkInfo, RawScheduler } from '../helpers/raw-scheduler.ts'

const daemons: Daemon[] = []
afterAll(async () => { for (const d of daemons) await d.kill('SIGKILL').catch(() => {}) })

/** An agent whose PATH finds the fake nvidia-smi first. */
async function gpuAgent(master: string, workDir: string, fakeDir: string, flags: string[]): Promise<Daemon> {
  const port = flags.some(f => f.startsWith('--port=')) ? [] : ['--port=0']
  const d = await startDaemon(['agent', `--master=${master.replace(/^http:\/\//, '')}`, '--ip=127.0.0.1', ...port, `--work_dir=${workDir}`, '--registration_backoff_factor=100ms', ...flags],
    /meso agent listening at (http:\/\/\S+?),/, { PATH: `${fakeDir}/bin:${process.env.PATH}` })
  daemons.push(d)
  return d
}

const envLine = (out: string, name: string) => out.split('\n').find(l => l.startsWith(`${name}=`))?.slice(name.length + 1)

describe('a GPU agent (posix launcher, fake nvidia-smi)', () => {
  let master: Daemon
  let agent: Daemon
  let dir: string
  let fake: string
  const flags = ['--launcher=posix', '--isolation=gpu/nvidia', '--resources=cpus:4;mem:2048']
  const run = (args: string[], timeoutMs = 60_000) => meso(['task', 'run', `--master=${master.url}`, '--timeout=20', ...args], { timeoutMs })

  beforeAll(async () => {
    dir = tempDir('meso-gpu-e2e-')
    fake = `${dir}/fake-driver`
    writeFakeNvidiaSmi(fake)
    master = await startMaster(`${dir}/master`, ['--allocation_interval=100ms'])
    daemons.push(master)
    agent = await gpuAgent(master.url, `${dir}/agent`, fake, flags)
  })

  test('it registers with gpus:8 and the gpu_models attribute; meso agent list shows the model', async () => {
    const slaves = await waitFor('agent registered', async () => ((await (await fetch(`${master.url}/master/slaves`)).json()) as any).slaves[0])
    expect(slaves.resources.gpus).toBe(8)
    expect(slaves.attributes.gpu_models.split(',')).toEqual(Array(8).fill(FAKE_MODEL))
    const list = await meso(['agent', 'list', `--master=${master.url}`])
    expect(list.stdout).toContain(`0/8 ${FAKE_MODEL}`)
  })

  test('only a framework with GPU_RESOURCES is offered the GPU agent', async () => {
    const plain = new RawScheduler(master.url)
    await plain.subscribe(frameworkInfo('no-gpu-capability'))
    const gpu = new RawScheduler(master.url)
    await gpu.subscribe(frameworkInfo('gpu-capability', { capabilities: [{ type: 'MULTI_ROLE' }, { type: 'GPU_RESOURCES' }] }))
    const offer = (await gpu.next(e => e.type === 'OFFERS')).offers.offers[0]
    expect(offer.resources.find((r: any) => r.name === 'gpus').scalar.value).toBe(8)
    await Bun.sleep(1500) // fifteen allocation cycles
    expect(plain.events.filter(e => e.type === 'OFFERS')).toEqual([])
    for (const s of [plain, gpu]) { await s.call('TEARDOWN'); s.close() }
  })

  test('meso task run --gpus 1 -- env: one index in NVIDIA_VISIBLE_DEVICES, its UUID for CUDA', async () => {
    const r = await run(['--gpus=1', '--', 'env'])
    expect(r.code).toBe(0)
    expect(envLine(r.stdout, 'NVIDIA_VISIBLE_DEVICES')).toBe('0')
    expect(envLine(r.stdout, 'CUDA_VISIBLE_DEVICES')).toBe(FAKE_GPUS[0]!.uuid)
    const none = await run(['--gpus=0', '--', 'env'])
    expect(none.code).toBe(0)
    expect(envLine(none.stdout, 'NVIDIA_VISIBLE_DEVICES')).toBe('void')
  })

  test('fractional --gpus is a usage error', async () => {
    const r = await run(['--gpus=0.5', '--', 'true'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--gpus must be a whole number of GPUs')
  })

  test('GPUs are freed when tasks end; held ones go to nobody else; usage shows in /monitor/statistics', async () => {
    const holder = await run(['--detach', '--name=gpu-holder', '--gpus=2', '--', 'sleep', '120'])
    expect(holder.code).toBe(0)
    const next = await run(['--gpus=1', '--', 'env'])
    expect(envLine(next.stdout, 'NVIDIA_VISIBLE_DEVICES')).toBe('2')
    const stats = await waitFor('GPU statistics', async () => {
      const all = (await (await fetch(`${agent.url}/monitor/statistics`)).json()) as any[]
      return all.find(s => s.executor_id === holder.stdout.trim())?.statistics
    })
    expect(stats).toMatchObject({ gpus_utilization: 37, gpus_memory_used_bytes: 2 * 1024 * 2 ** 20, gpus_memory_total_bytes: 2 * 81559 * 2 ** 20 })
    expect((await meso(['task', 'kill', `--master=${master.url}`, 'gpu-holder'])).code).toBe(0)
    const all8 = await run(['--gpus=8', '--', 'env'])
    expect(envLine(all8.stdout, 'NVIDIA_VISIBLE_DEVICES')).toBe('0,1,2,3,4,5,6,7')
  })

  test('a GPU task keeps its GPUs across kill -9 of the agent', async () => {
    const holder = await run(['--detach', '--name=survivor', '--gpus=2', '--', 'sleep', '120'])
    expect(holder.code).toBe(0)
    await agent.kill('SIGKILL')
    agent = await gpuAgent(master.url, `${dir}/agent`, fake, [...flags, `--port=${new URL(agent.url).port}`])
    await waitFor('agent re-registered', async () => ((await (await fetch(`${master.url}/master/slaves`)).json()) as any).slaves[0]?.active)
    const next = await run(['--gpus=1', '--', 'env'])
    expect(envLine(next.stdout, 'NVIDIA_VISIBLE_DEVICES')).toBe('2')
    expect((await meso(['task', 'kill', `--master=${master.url}`, 'survivor'])).code).toBe(0)
    expect(envLine((await run(['--gpus=1', '--', 'env'])).stdout, 'NVIDIA_VISIBLE_DEVICES')).toBe('0')
  }, 120_000)

  test('mismatched GPU flags stop the agent with Mesos\' message', async () => {
    const r = await meso(['agent', `--master=${master.url.replace('http://', '')}`, '--port=0', `--work_dir=${dir}/bad`, '--launcher=posix',
      '--isolation=gpu/nvidia', '--resources=gpus:3', '--nvidia_gpu_devices=0,1'], { env: { PATH: `${fake}/bin:${process.env.PATH}` } })
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain("'--resources' and '--nvidia_gpu_devices' specify different numbers of GPU devices")
  })
})

const problem = linuxLauncherUnavailable({})
if (problem) console.warn(`\n*** SKIPPING GPU tests with the linux launcher: ${problem} ***\n`)

;(problem ? describe.skip : describe)('GPU containers (linux launcher, fake nvidia-smi, no driver)', () => {
  let master: Daemon
  let fake: string
  const run = (args: string[]) => meso(['task', 'run', `--master=${master.url}`, '--timeout=20', ...args])

  beforeAll(async () => {
    const dir = tempDir('meso-gpu-e2e-')
    fake = `${dir}/fake-driver`
    writeFakeNvidiaSmi(fake)
    master = await startMaster(`${dir}/master`, ['--allocation_interval=100ms'])
    daemons.push(master)
    await gpuAgent(master.url, `${dir}/agent`, fake, ['--launcher=linux', `--isolation=${DEFAULT_LINUX_ISOLATION},cgroups/devices,gpu/nvidia`,
      '--resources=cpus:2;mem:1024', `--nvidia_driver_dir=${fake}`])
  })

  test('a task with one GPU sees exactly that GPU: its node by minor number, nvidiactl, and the driver volume', async () => {
    const r = await run(['--gpus=1', '--', 'sh', '-c', 'ls /dev | grep nvidia; nvidia-smi -L; echo "NVIDIA_VISIBLE_DEVICES=$NVIDIA_VISIBLE_DEVICES"'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    // Index 0 has minor 4: the node is /dev/nvidia4, not /dev/nvidia0.
    expect(r.stdout).toBe(`nvidia4\nnvidiactl\nGPU 0: ${FAKE_MODEL} (UUID: ${FAKE_GPUS[0]!.uuid})\nNVIDIA_VISIBLE_DEVICES=0\n`)
  })

  test('the device cgroup admits the task\'s GPU and denies every other NVIDIA device, even one it makes itself', async () => {
    // With no driver on this host, opening an admitted node fails with ENXIO; a denied one with EPERM (cgroup).
    const r = await run(['--gpus=1', '--', 'sh', '-c', 'cat /dev/nvidia4; mknod /dev/other c 195 5 && echo made; cat /dev/other; true'])
    expect(r.stderr).toContain('/dev/nvidia4: No such device or address')
    expect(r.stdout).toBe('made\n')
    expect(r.stderr).toContain('/dev/other: Operation not permitted')
  })

  test('a task without GPUs on the GPU agent has no NVIDIA device and may open none', async () => {
    const r = await run(['--gpus=0', '--', 'sh', '-c', 'ls /dev | grep -c nvidia; mknod /dev/gpu c 195 4 && cat /dev/gpu; true'])
    expect(r.stdout).toBe('0\n')
    expect(r.stderr).toContain('/dev/gpu: Operation not permitted')
  })
})
