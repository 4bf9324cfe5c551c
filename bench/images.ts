// Container images: launch latency of `meso task run --image REF -- true` cold (image not in the agent's store: pull,
// verify, unpack, overlay mount, run) and warm (layers cached), against `podman run --rm` of the same image from the
// same loopback registry, cold (after `podman rmi`) and warm, all interleaved in one run. Then layer extraction
// throughput: meso's extractor (GNU tar + whiteout conversion) and the npm `tar` package against plain `tar -xzf`.
//
//   bun bench/images.ts [--quick] [--rounds N]      (MESO_BIN=path runs a compiled meso instead of the sources)

import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { linuxLauncherUnavailable } from '../src/agent/containerizer/linux-launcher.ts'
import { extractLayer } from '../src/agent/provisioner/layer-extract.ts'
import { busyboxRootfs, buildImage, pushImage, tarDirectory } from '../test/helpers/image-fixtures.ts'
import { registryUnavailable, startRegistry } from '../test/helpers/registries.ts'
import { interleaved, machine, median, percentile, table, type BenchResult } from './lib/measure.ts'

const ROOT = resolve(import.meta.dir, '..')
const MESO = process.env.MESO_BIN ? [process.env.MESO_BIN] : existsSync(join(ROOT, 'dist/meso')) && !process.env.MESO_BENCH_SOURCE ? [join(ROOT, 'dist/meso')] : [join(ROOT, 'node_modules/.bin/bun'), join(ROOT, 'src/main.ts')]

async function exec(cmd: string[], env?: Record<string, string>): Promise<void> {
  const p = Bun.spawn(cmd, { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', env: env ? { ...process.env, ...env } : undefined })
  if ((await p.exited) !== 0) throw new Error(`${cmd.slice(0, 4).join(' ')} … failed: ${(await new Response(p.stderr).text()).trim().slice(0, 400)}`)
}

/** Starts `meso <args>` and returns the URL it announces. */
async function daemon(args: string[], pattern: RegExp): Promise<{ url: string; stop: () => Promise<void> }> {
  const proc = Bun.spawn([...MESO, ...args], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  let out = ''
  const dec = new TextDecoder()
  const find = async (s: ReadableStream<Uint8Array>) => { for await (const c of s) { out += dec.decode(c); const m = pattern.exec(out); if (m) return m[1]! } return undefined }
  const url = await Promise.race([find(proc.stdout), find(proc.stderr), Bun.sleep(30_000).then(() => undefined)])
  if (!url) { proc.kill('SIGKILL'); throw new Error(`meso ${args[0]} did not start: ${out}`) }
  return { url, stop: async () => { proc.kill('SIGKILL'); await proc.exited } }
}

async function launchRows(dir: string, rounds: number, notes: string[]): Promise<Record<string, number | string>[]> {
  const registry = await startRegistry(join(dir, 'registry'), join(dir, 'storage'))
  const image = buildImage([busyboxRootfs(join(dir, 'rootfs'))])
  await pushImage(registry.url, 'bench/busybox', '1', image)
  const ref = `${registry.host}/bench/busybox:1`
  const master = await daemon(['master', '--ip=127.0.0.1', '--port=0', `--work_dir=${join(dir, 'master')}`, '--registry=in_memory', '--allocation_interval=100ms'], /meso master listening at (http:\/\/\S+?) /)
  const agent = await daemon(['agent', `--master=${master.url.replace('http://', '')}`, '--ip=127.0.0.1', '--port=0', `--work_dir=${join(dir, 'agent')}`, '--launcher=linux', `--docker_registry_insecure=${registry.host}`], /meso agent listening at (http:\/\/\S+?),/)
  const run = () => exec([...MESO, 'task', 'run', `--master=${master.url}`, '--image', ref, '--', '/bin/true'])
  const variants = [
    {
      name: 'meso cold (pull + unpack + overlay + run)',
      run: async () => {
        await fetch(`${agent.url}/api/meso/v1/images/remove`, { method: 'POST', body: JSON.stringify({ reference: ref }) })
        const t0 = performance.now()
        await run()
        return performance.now() - t0
      },
    },
    { name: 'meso warm (layers cached)', run },
    { name: 'meso, no image (host root read-only)', run: () => exec([...MESO, 'task', 'run', `--master=${master.url}`, '--', '/bin/true']) },
  ]
  const podman = Bun.which('podman')
  if (podman) {
    // Without CAP_SYS_RESOURCE (as in the sandboxes the benchmarks run in) podman's default ulimits fail: this
    // containers.conf asks for lower ones, with cgroupfs, file events and crun.
    const conf = join(dir, 'containers.conf')
    writeFileSync(conf, '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nruntime = "crun"\n')
    const env = { CONTAINERS_CONF: conf }
    // Its own storage, so the benchmark neither sees nor disturbs anyone else's podman images.
    const pm = [podman, '--root', join(dir, 'podman/root'), '--runroot', join(dir, 'podman/run')]
    const prun = () => exec([...pm, 'run', '--rm', '--network=host', '--tls-verify=false', ref, '/bin/true'], env)
    variants.push(
      {
        name: 'podman run --rm cold (pull + run)',
        run: async () => {
          await exec([...pm, 'rmi', '-f', '--ignore', ref], env)
          const t0 = performance.now()
          await prun()
          return performance.now() - t0
        },
      },
      { name: 'podman run --rm warm', run: prun },
    )
  } else notes.push('podman skipped: not installed (./install.sh installs it)')
  try {
    const results = await interleaved(variants, rounds)
    const base = (name: string) => (name.includes('cold') ? 'podman run --rm cold (pull + run)' : 'podman run --rm warm')
    return [...results].map(([name, xs]) => {
      const b = results.get(base(name))
      return { group: 'launch', variant: name, runs: xs.length, 'median ms': median(xs), 'p90 ms': percentile(xs, 0.9), 'MB/s': '', 'vs baseline': b ? `${(median(xs) / median(b)).toFixed(2)}× podman` : '' }
    })
  } finally {
    // Let the last container's root filesystem be unmounted before the agent goes (the work dir is removed after).
    const containers = join(dir, 'agent', 'provisioner', 'containers')
    for (let i = 0; i < 100 && existsSync(containers) && readdirSync(containers).length; i++) await Bun.sleep(50)
    await agent.stop()
    await master.stop()
    await registry.stop()
  }
}

async function extractionRows(dir: string, rounds: number): Promise<Record<string, number | string>[]> {
  // A realistic layer: a language runtime's library tree (many small files), gzipped like registry layers.
  const src = ['/usr/lib/python3.11', '/usr/lib/python3', '/usr/share/perl'].find(existsSync) ?? join(ROOT, 'node_modules')
  const raw = tarDirectory(src)
  const layer = join(dir, 'layer.tar.gz')
  writeFileSync(layer, Bun.gzipSync(raw as Uint8Array<ArrayBuffer>))
  const mb = raw.length / 1024 / 1024
  let n = 0
  const fresh = () => { const d = join(dir, 'x', String(n++)); mkdirSync(d, { recursive: true }); return d }
  const timed = (fn: (out: string) => Promise<unknown>) => async () => {
    const out = fresh()
    const t0 = performance.now()
    await fn(out)
    const ms = performance.now() - t0
    rmSync(out, { recursive: true, force: true })
    return ms
  }
  const { x } = await import('tar')
  const variants = [
    { name: 'GNU tar -xzf', run: timed(out => exec(['tar', '-xzf', layer, '-C', out])) },
    { name: 'meso extractLayer (GNU tar -v + whiteouts)', run: timed(out => extractLayer(layer, out)) },
    { name: 'npm tar x()', run: timed(out => x({ file: layer, cwd: out })) },
  ]
  const results = await interleaved(variants, rounds)
  const gnu = median(results.get('GNU tar -xzf')!)
  return [...results].map(([name, xs]) => ({
    group: `extract ${mb.toFixed(0)} MB (${src})`, variant: name, runs: xs.length, 'median ms': median(xs), 'p90 ms': percentile(xs, 0.9),
    'MB/s': mb / (median(xs) / 1000), 'vs baseline': `${(median(xs) / gnu).toFixed(2)}× GNU tar`,
  }))
}

export async function runImagesBench(opts: { quick: boolean; rounds?: number }): Promise<BenchResult> {
  const problem = linuxLauncherUnavailable({}) ?? registryUnavailable() ?? (Bun.which('busybox') ? undefined : 'busybox-static is not installed')
  if (problem) return { name: 'images', machine: machine(), rows: [], notes: [`skipped: ${problem}`] }
  const rounds = opts.rounds ?? (opts.quick ? 3 : 10)
  const dir = mkdtempSync(join(tmpdir(), 'meso-bench-images-'))
  const notes: string[] = [`meso: ${MESO.length > 1 ? 'sources under Bun' : MESO[0]!.replace(`${ROOT}/`, '')}`]
  try {
    const rows = [...(await launchRows(dir, rounds, notes)), ...(await extractionRows(dir, rounds))]
    return { name: 'images', machine: machine(), rows, notes }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Two tables: launch latency, then extraction throughput (the `group` column says which a row belongs to). */
export function printImages(r: BenchResult) {
  console.log(`\n### Container images (${r.machine})\n`)
  for (const n of r.notes ?? []) console.log(`> ${n}`)
  for (const launch of [true, false]) {
    const rows = r.rows.filter(row => (row.group === 'launch') === launch)
    if (!rows.length) continue
    const headers = Object.keys(rows[0]!).filter(h => h !== 'group' && (!launch || h !== 'MB/s'))
    console.log(`\n${launch ? 'Launch of `/bin/true` from a 1-layer busybox image on a loopback registry' : `Layer extraction: ${rows[0]!.group}`}\n`)
    console.log(table(headers, rows.map(row => headers.map(h => row[h] ?? ''))))
  }
}

if (import.meta.main) {
  const quick = process.argv.includes('--quick')
  const i = process.argv.indexOf('--rounds')
  printImages(await runImagesBench({ quick, rounds: i > 0 ? Number(process.argv[i + 1]) : undefined }))
}
