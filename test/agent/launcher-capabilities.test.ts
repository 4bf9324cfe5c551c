// What each launcher can honour and the message of a refusal (src/agent/containerizer/launcher-capabilities.ts):
// pure, so every field is checked against both launchers here; test/e2e/launcher-refusals.test.ts runs the real
// thing, root and non-root.

import { describe, expect, test } from 'bun:test'
import { Containerizer } from '../../src/agent/containerizer/containerizer.ts'
import {
  LaunchRefused, posixLauncherReason, refusalMessage, refuseUnsupported, unsupportedFeatures, type ContainerRequest, type LauncherSupport,
} from '../../src/agent/containerizer/launcher-capabilities.ts'
import type { ContainerInfo } from '../../src/core/v1/messages.ts'
import { FakeLauncher, recordingIsolator } from '../helpers/fake-launcher.ts'
import { agentFlags, res } from '../helpers/isolation.ts'

const LINUX_DEFAULT = ['cgroups/cpu', 'cgroups/mem', 'cgroups/pids', 'namespaces/pid', 'filesystem/linux', 'posix/rlimits', 'linux/capabilities', 'linux/seccomp', 'volume/secret']
const posix: LauncherSupport = { agent: 'h1', launcher: 'posix', posix: { why: 'not root', fix: 'run the agent as root with crun and conmon installed (./install.sh)' }, isolators: ['posix/cpu,posix/mem', 'volume/secret'], images: false, init: false }
const linux: LauncherSupport = { agent: 'h1', launcher: 'linux', isolators: LINUX_DEFAULT, images: true, init: true }

const req = (container?: Partial<ContainerInfo>, over: Partial<ContainerRequest> = {}): ContainerRequest =>
  ({ container: container ? { type: 'MESOS', ...container } : undefined, resources: res('cpus:0.1;mem:32'), ...over })
const whats = (r: ContainerRequest, s: LauncherSupport) => unsupportedFeatures(r, s).map(u => u.what)

const IMAGE = { mesos: { image: { type: 'DOCKER' as const, docker: { name: 'busybox' } } } }

describe('the posix launcher refuses what it cannot do', () => {
  test('a plain command and secret volumes run; every container feature is refused', () => {
    expect(whats(req(), posix)).toEqual([])
    expect(whats(req({ volumes: [{ mode: 'RO', container_path: 'p', source: { type: 'SECRET', secret: { type: 'VALUE', value: { data: 'eA==' } } } }] }), posix)).toEqual([])
    // A NetworkInfo without a name is the host network, which the posix launcher is on.
    expect(whats(req({ network_infos: [{}] }), posix)).toEqual([])
    expect(whats(req(IMAGE), posix)).toEqual(['run container images'])
    expect(whats(req({ network_infos: [{ name: 'meso' }, { name: 'db' }] }), posix)).toEqual(["join CNI networks 'meso', 'db'"])
    expect(whats(req({ tty_info: {} }), posix)).toEqual(['give a task a terminal'])
    expect(whats(req(undefined, { tty: true }), posix)).toEqual(['give a task a terminal'])
    expect(whats(req({ volumes: [{ mode: 'RW', container_path: '/data', host_path: '/srv' }, { mode: 'RW', container_path: 'shared', source: { type: 'SANDBOX_PATH', sandbox_path: { type: 'PARENT', path: '.' } } }] }), posix))
      .toEqual(["mount volumes '/data', 'shared'"])
    expect(whats(req({ rlimit_info: { rlimits: [{ type: 'RLMT_NOFILE', soft: 10, hard: 10 }] } }), posix)).toEqual(['set rlimits'])
    expect(whats(req({ linux_info: { effective_capabilities: { capabilities: ['SYS_ADMIN'] } } }), posix)).toEqual(['set capabilities'])
    expect(whats(req({ linux_info: { bounding_capabilities: { capabilities: ['KILL'] } } }), posix)).toEqual(['set capabilities'])
    expect(whats(req({ linux_info: { seccomp: { unconfined: true } } }), posix)).toEqual(['apply seccomp settings'])
    expect(whats(req({ hostname: 'web' }), posix)).toEqual(['set a hostname'])
    expect(whats(req(undefined, { init: true }), posix)).toEqual(['run a container init (its tasks are plain process trees, never PID 1)'])
    // --no-init and the default ask for nothing the posix launcher lacks.
    expect(whats(req(undefined, { init: false }), posix)).toEqual([])
  })

  test('GPUs: honoured with gpu/nvidia (the environment, on posix too), refused without it', () => {
    const gpus = req(undefined, { resources: res('cpus:0.1;mem:32;gpus:1') })
    expect(whats(gpus, posix)).toEqual(['give a task GPUs (1 asked)'])
    expect(whats(gpus, { ...posix, isolators: [...posix.isolators, 'gpu/nvidia'] })).toEqual([])
    expect(unsupportedFeatures(gpus, linux)[0]!.fix).toBe('add gpu/nvidia to --isolation')
  })

  test('one message names the agent, the launcher and why, the fix, and what to drop', () => {
    const r = req({ ...IMAGE, network_infos: [{ name: 'nope' }], tty_info: {} })
    expect(refusalMessage(posix, unsupportedFeatures(r, posix))).toBe(
      "agent h1 (posix launcher: not root) cannot run container images, join CNI network 'nope' and give a task a terminal; " +
      'run the agent as root with crun and conmon installed (./install.sh), or drop --image (ContainerInfo.mesos.image), ' +
      '--network (ContainerInfo.network_infos) and -t (ContainerInfo.tty_info)')
    expect(() => refuseUnsupported(req(IMAGE), posix)).toThrow(new LaunchRefused(
      'agent h1 (posix launcher: not root) cannot run container images; run the agent as root with crun and conmon installed (./install.sh), or drop --image (ContainerInfo.mesos.image)'))
    expect(() => refuseUnsupported(req(), posix)).not.toThrow()
  })
})

describe('the linux launcher refuses only what its isolators or provisioner lack', () => {
  test('with the default isolation everything runs', () => {
    const all = req({
      ...IMAGE, tty_info: {}, hostname: 'web', rlimit_info: { rlimits: [{ type: 'RLMT_CORE', soft: 0, hard: 0 }] },
      volumes: [{ mode: 'RO', container_path: '/data', host_path: '/srv' }],
      linux_info: { effective_capabilities: { capabilities: ['NET_ADMIN'] }, seccomp: { unconfined: true } },
    }, { init: true })
    expect(whats(all, linux)).toEqual([])
  })

  test('each missing piece is named with its own fix', () => {
    const bare: LauncherSupport = { ...linux, isolators: ['filesystem/linux', 'linux/capabilities'], images: false, init: false }
    const r = req({ ...IMAGE, network_infos: [{ name: 'meso' }], rlimit_info: { rlimits: [{ type: 'RLMT_CORE', soft: 0, hard: 0 }] }, linux_info: { seccomp: { profile_name: 'p.json' } } }, { init: true })
    expect(unsupportedFeatures(r, bare).map(u => [u.what, u.fix])).toEqual([
      ['run container images', 'start the agent with --image_providers=docker'],
      ["join CNI network 'meso'", 'add network/cni to --isolation and set --network_cni_plugins_dir and --network_cni_config_dir'],
      ['set rlimits', 'add posix/rlimits to --isolation'],
      ['apply seccomp settings', 'add linux/seccomp to --isolation'],
      ['run a container init (catatonit is not installed)', 'install catatonit (./install.sh, or apt-get install catatonit)'],
    ])
    expect(refusalMessage(bare, unsupportedFeatures(req(undefined, { init: true }), bare))).toBe(
      'agent h1 (linux launcher) cannot run a container init (catatonit is not installed); install catatonit (./install.sh, or apt-get install catatonit), or drop --init (label meso.io/init)')
  })

  test('nested containers share their parent network: their NetworkInfos ask for nothing', () => {
    const nested = req({ network_infos: [{ name: 'meso' }] }, { parentId: 'parent' })
    expect(whats(nested, { ...linux, isolators: LINUX_DEFAULT })).toEqual([])
    expect(whats(nested, posix)).toEqual([])
  })

  test('ContainerInfo type DOCKER is refused by both: there is no Docker containerizer', () => {
    const docker = req({ type: 'DOCKER', docker: { image: 'busybox' } })
    expect(whats(docker, linux)).toEqual(['run ContainerInfo type DOCKER (there is no Docker containerizer)'])
    expect(whats(docker, posix)).toEqual(['run ContainerInfo type DOCKER (there is no Docker containerizer)'])
  })
})

test('why an agent runs the posix launcher, shortest reason first', () => {
  const which = (have: string[]) => (n: string) => (have.includes(n) ? `/usr/bin/${n}` : null)
  const exists = () => false
  expect(posixLauncherReason({ launcherFlag: 'posix', uid: 0, which: which(['crun', 'conmon']), exists })).toEqual({ why: '--launcher=posix', fix: 'start the agent with --launcher=linux' })
  expect(posixLauncherReason({ uid: 1000, which: which(['crun', 'conmon']), exists }).why).toBe('not root')
  expect(posixLauncherReason({ uid: 0, which: which(['conmon']), exists })).toEqual({ why: 'crun is not installed', fix: 'install crun and conmon (./install.sh)' })
  expect(posixLauncherReason({ uid: 0, which: which(['crun']), exists }).why).toBe('conmon is not installed')
  expect(posixLauncherReason({ uid: 0, ociRuntime: '/opt/runc', which: which(['crun', 'conmon']), exists }).why).toBe('--oci_runtime /opt/runc does not exist')
})

test('the containerizer refuses before anything is provisioned, prepared or created', async () => {
  const calls: string[] = []
  const c = new Containerizer({ launcher: new FakeLauncher(calls, 'posix'), isolators: [recordingIsolator('a', calls)], flags: agentFlags({ launcher: 'posix', hostname: 'agent-7' }) })
  const launch = c.launch({ containerId: 'c1', sandbox: '/s', argv: ['true'], env: {}, resources: res('cpus:0.1;mem:32'), container: { type: 'MESOS', ...IMAGE } })
  await expect(launch).rejects.toThrow('agent agent-7 (posix launcher: --launcher=posix) cannot run container images; start the agent with --launcher=linux, or drop --image')
  expect(calls).toEqual([])
})
