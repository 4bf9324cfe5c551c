// Launch latency of a trivial task, end to end: `meso task run -- true` on a warm one-node cluster (CLI start,
// subscribe, offer, launch in a crun container under conmon, exit, teardown) against, in the same run and
// interleaved: bare `crun run` of the same bundle (the floor), conmon + crun create/start/wait/delete (the supervised
// floor), and `podman run --rm` (default and host network) when podman is installed.
//
//   bun bench/launch.ts [--quick] [--rounds N]

import { existsSync, mkdirSync, mkdtempSync, readdirSync, lstatSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { conmonCreate } from '../src/agent/containerizer/conmon.ts'
import { linuxLauncherUnavailable } from '../src/agent/containerizer/linux-launcher.ts'
import { baseSpec, hostRootLayout, serializeSpec, type HostRootEntry } from '../src/agent/containerizer/oci-spec.ts'
import { AGENT_FLAGS } from '../src/agent/flags.ts'
import { createIsolators, isolatorSetup } from '../src/agent/isolators/index.ts'
import { resolveFlags } from '../src/core/flags.ts'
import { agentCapabilities } from '../src/agent/isolators/linux-capabilities.ts'
import { parseResourcesFlag, Resources } from '../src/core/resources.ts'
import { interleaved, machine, median, percentile, table, type BenchResult } from './lib/measure.ts'
import { mesoCommand } from './lib/meso-bin.ts'
import { startUpCluster } from './lib/meso-up.ts'

const PODMAN = 'podman run --rm'
const PODMAN_HOST = 'podman run --rm --network=host'

// $MESO_BIN, else dist/meso, else the sources (bench/lib/meso-bin.ts).
const MESO = mesoCommand()

const FLAGS = resolveFlags(AGENT_FLAGS, {})
const ISOLATORS = await createIsolators(isolatorSetup({ flags: FLAGS, launcher: 'linux', runtimeDir: tmpdir(), offer: { resources: Resources.EMPTY, attributes: [] } }))

/** The bundle the linux launcher would build for `true` (host root read-only, default isolators). */
function makeBundle(dir: string, id: string, sandbox: string): string {
  const bundle = join(dir, id)
  rmSync(bundle, { recursive: true, force: true })
  mkdirSync(join(bundle, 'rootfs'), { recursive: true })
  const entries: HostRootEntry[] = readdirSync('/').map(name => {
    const st = lstatSync(`/${name}`)
    return st.isSymbolicLink() ? { name, kind: 'symlink', target: readlinkSync(`/${name}`) } : { name, kind: st.isDirectory() ? 'dir' : 'other' }
  })
  const layout = hostRootLayout(entries)
  for (const s of layout.symlinks) symlinkSync(s.target, join(bundle, 'rootfs', s.name))
  const spec = baseSpec({
    argv: ['/bin/true'], env: {}, cwd: '/mnt/mesos/sandbox', uid: 0, gid: 0, cgroupsPath: `/meso-bench/${id}`,
    rootfs: join(bundle, 'rootfs'), rootMounts: layout.mounts, sandbox: { host: sandbox, container: '/mnt/mesos/sandbox' },
    terminal: false, capabilities: agentCapabilities(), ownNetwork: false,
  })
  const ctx = { containerId: id, resources: Resources.of(parseResourcesFlag('cpus:0.1;mem:32')), flags: FLAGS, sandbox: { host: sandbox, container: '/mnt/mesos/sandbox' }, env: {} }
  for (const iso of ISOLATORS) iso.isolate?.(spec, ctx)
  writeFileSync(join(bundle, 'config.json'), serializeSpec(spec))
  return bundle
}

async function exec(cmd: string[], env?: Record<string, string>): Promise<number> {
  const p = Bun.spawn(cmd, { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', env: env ? { ...process.env, ...env } : undefined })
  const code = await p.exited
  if (code !== 0) throw new Error(`${cmd.slice(0, 3).join(' ')} … exited ${code}: ${(await new Response(p.stderr).text()).trim()}`)
  return code
}

export async function runLaunchBench(opts: { quick: boolean; rounds?: number }): Promise<BenchResult> {
  const problem = linuxLauncherUnavailable({})
  if (problem) return { name: 'launch', machine: machine(), rows: [], notes: [`skipped: ${problem}`] }
  const rounds = opts.rounds ?? (opts.quick ? 3 : 20)
  const dir = mkdtempSync(join(tmpdir(), 'meso-bench-launch-'))
  const sandbox = join(dir, 'sandbox')
  mkdirSync(sandbox)
  const crunRoot = join(dir, 'crun')
  const cluster = await startUpCluster(join(dir, 'cluster'))
  let n = 0
  const crun = Bun.which('crun')!
  const variants = [
    { name: 'meso task run -- true', run: async () => { await exec([...MESO, 'task', 'run', `--master=${cluster.url}`, '--', 'true']) } },
    {
      name: 'crun run (same bundle)',
      run: async () => {
        const id = `b${n++}`
        const bundle = makeBundle(join(dir, 'bundles'), id, sandbox)
        const t0 = performance.now()
        await exec([crun, `--root=${crunRoot}`, 'run', '--bundle', bundle, id])
        const ms = performance.now() - t0
        rmSync(bundle, { recursive: true, force: true })
        return ms
      },
    },
    {
      name: 'conmon + crun (create, start, wait, delete)',
      run: async () => {
        const id = `c${n++}`
        const bundle = makeBundle(join(dir, 'bundles'), id, sandbox)
        const exits = join(dir, 'exits')
        const t0 = performance.now()
        await conmonCreate({ conmon: Bun.which('conmon')!, runtime: crun, runtimeRoot: crunRoot, id, bundle, exitDir: exits, persistDir: join(dir, 'persist', id), socketDir: join(dir, 's'), stdoutPath: join(sandbox, 'stdout'), stderrPath: join(sandbox, 'stderr') })
        await exec([crun, `--root=${crunRoot}`, 'start', id])
        while (!existsSync(join(exits, id))) await Bun.sleep(1)
        await exec([crun, `--root=${crunRoot}`, 'delete', '--force', id])
        const ms = performance.now() - t0
        rmSync(bundle, { recursive: true, force: true })
        return ms
      },
    },
  ]
  const notes: string[] = []
  const podman = Bun.which('podman')
  if (podman) {
    // A busybox root for podman (it needs a rootfs or image of its own).
    const rootfs = join(dir, 'busybox')
    mkdirSync(join(rootfs, 'bin'), { recursive: true })
    for (const d of ['etc', 'proc', 'sys', 'dev', 'tmp']) mkdirSync(join(rootfs, d), { recursive: true })
    const busybox = Bun.which('busybox')
    if (busybox) {
      await exec(['cp', busybox, join(rootfs, 'bin/busybox')])
      symlinkSync('busybox', join(rootfs, 'bin/true'))
      // Without CAP_SYS_RESOURCE (as in the sandboxes the benchmarks run in) podman's default ulimits fail: this
      // containers.conf asks for lower ones, with cgroupfs, file events and crun.
      const conf = join(dir, 'containers.conf')
      writeFileSync(conf, '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nruntime = "crun"\n')
      // `podman run --rm` as people type it (its own network namespace through netavark: the baseline), and
      // with --network=host, which is what `meso task run` without --network does (the like-for-like comparison).
      variants.push({ name: PODMAN, run: async () => { await exec([podman, 'run', '--rm', '--rootfs', rootfs, '/bin/true'], { CONTAINERS_CONF: conf }) } })
      variants.push({ name: PODMAN_HOST, run: async () => { await exec([podman, 'run', '--rm', '--network=host', '--rootfs', rootfs, '/bin/true'], { CONTAINERS_CONF: conf }) } })
    } else notes.push('podman skipped: busybox-static is not installed')
  } else notes.push('podman skipped: not installed (./install.sh installs it)')
  try {
    const results = await interleaved(variants, rounds)
    const floor = median(results.get('crun run (same bundle)')!)
    const supervised = median(results.get('conmon + crun (create, start, wait, delete)')!)
    const podmanMedian = results.has(PODMAN) ? median(results.get(PODMAN)!) : undefined
    const podmanHostMedian = results.has(PODMAN_HOST) ? median(results.get(PODMAN_HOST)!) : undefined
    const rows = [...results].map(([name, xs]) => ({
      variant: name, runs: xs.length, 'median ms': median(xs), 'p90 ms': percentile(xs, 0.9),
      'vs crun run': median(xs) / floor, 'ms above conmon+crun': median(xs) - supervised,
      ...(podmanMedian ? { 'vs podman': median(xs) / podmanMedian } : {}),
      ...(podmanHostMedian ? { 'vs podman host net': median(xs) / podmanHostMedian } : {}),
    }))
    return { name: 'launch', machine: machine(), rows, notes }
  } finally {
    await cluster.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

export function printLaunch(r: BenchResult) {
  console.log(`\n### Launch latency (${r.machine})\n`)
  for (const n of r.notes ?? []) console.log(`> ${n}`)
  if (!r.rows.length) return
  const headers = Object.keys(r.rows[0]!)
  console.log(table(headers, r.rows.map(row => headers.map(h => row[h] ?? ''))))
}

if (import.meta.main) {
  const quick = process.argv.includes('--quick')
  const i = process.argv.indexOf('--rounds')
  printLaunch(await runLaunchBench({ quick, rounds: i > 0 ? Number(process.argv[i + 1]) : undefined }))
}
