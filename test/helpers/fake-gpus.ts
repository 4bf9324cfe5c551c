// Eight fake H100s for GPU tests on machines without one. Their device minors are not their indices (index i has
// minor (i + 4) % 8), the case where giving a container /dev/nvidia<index> would hand it someone else's GPU.

import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { OciSpec } from '../../src/agent/containerizer/oci-spec.ts'
import { memoryStore } from '../../src/agent/isolators/gpu/gpu-allocator.ts'
import type { CommandRunner, NvidiaGpu } from '../../src/agent/isolators/gpu/nvidia-smi.ts'
import type { NvidiaGpuIsolator } from '../../src/agent/isolators/gpu/nvidia-isolator.ts'
import type { GpuHost } from '../../src/agent/isolators/gpu/setup.ts'
import type { Resources } from '../../src/core/resources.ts'
import { isolationContext } from './isolation.ts'

export const FAKE_MODEL = 'NVIDIA H100 80GB HBM3'
export const fakeMinor = (index: number) => (index + 4) % 8
export const fakeUuid = (index: number) => `GPU-00000000-1111-2222-3333-00000000000${index}`

export const FAKE_GPUS: NvidiaGpu[] = Array.from({ length: 8 }, (_, i) => ({ index: i, uuid: fakeUuid(i), minor: fakeMinor(i), name: FAKE_MODEL, memoryMiB: 81559 }))

/** What `nvidia-smi --query-gpu=index,uuid,minor_number,name,memory.total --format=csv,noheader` prints. */
export const FAKE_QUERY_OUTPUT = FAKE_GPUS.map(g => `${g.index}, ${g.uuid}, ${g.minor}, ${g.name}, ${g.memoryMiB} MiB`).join('\n') + '\n'

/** A /proc/devices with the NVIDIA drivers loaded (nvidia-uvm got dynamic major 508). */
export const FAKE_PROC_DEVICES = `Character devices:
  1 mem
  4 /dev/vc/0
  5 /dev/tty
136 pts
195 nvidia-frontend
226 drm
508 nvidia-uvm
509 nvidia-nvswitch
510 nvidia-nvlink

Block devices:
  8 sd
259 blkext
`

/**
 * Writes an executable fake nvidia-smi into `<dir>/bin`. The query answers come from the list above; `-L` behaves
 * like NVML inside a container: it needs /dev/nvidiactl and lists only the GPUs whose /dev/nvidia<minor> exists.
 */
export function writeFakeNvidiaSmi(dir: string): string {
  const bin = join(dir, 'bin')
  mkdirSync(bin, { recursive: true })
  mkdirSync(join(dir, 'lib64'), { recursive: true })
  const rows = FAKE_GPUS.map(g => `${g.index}:${g.minor}:${g.uuid}`).join(' ')
  const script = `#!/bin/sh
# Fake nvidia-smi for meso's GPU tests (test/helpers/fake-gpus.ts).
case "$*" in
  *--query-gpu=index,uuid,minor_number,name,memory.total*)
    printf '%s' '${FAKE_QUERY_OUTPUT.replaceAll("'", '')}' ;;
  *--query-gpu=uuid,utilization.gpu,memory.used,memory.total*)
    for row in ${rows}; do echo "\${row##*:}, 37, 1024, 81559"; done ;;
  -L)
    if [ ! -e /dev/nvidiactl ]; then echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver." >&2; exit 9; fi
    n=0
    for row in ${rows}; do
      minor=\${row#*:}; minor=\${minor%%:*}
      if [ -e /dev/nvidia\$minor ]; then echo "GPU \$n: ${FAKE_MODEL} (UUID: \${row##*:})"; n=\$((n+1)); fi
    done
    if [ \$n = 0 ]; then echo "No devices were found"; exit 6; fi ;;
  *) echo "fake nvidia-smi: unsupported arguments: $*" >&2; exit 2 ;;
esac
`
  const path = join(bin, 'nvidia-smi')
  writeFileSync(path, script)
  chmodSync(path, 0o755)
  return path
}

/** What the containerizer does with gpu/nvidia for a linux container: prepare (allocate), then isolate (the spec). */
export function isolateGpus(iso: NvidiaGpuIsolator, spec: OciSpec, containerId: string, resources: Resources) {
  const ctx = isolationContext({ containerId, resources })
  iso.prepare(ctx)
  iso.isolate(spec, ctx)
}

/** A host with the fake GPUs: fake nvidia-smi answers, /proc/devices, /dev nodes, no driver libraries. */
export function fakeGpuHost(over: Partial<GpuHost> = {}): GpuHost & { commands: string[][] } {
  const commands: string[][] = []
  const files: Record<string, string> = { '/proc/devices': FAKE_PROC_DEVICES }
  const present = new Set(['/usr/local/nvidia/bin/nvidia-smi', '/usr/local/nvidia/bin', '/usr/local/nvidia/lib64', ...FAKE_GPUS.map(g => `/dev/nvidia${g.minor}`)])
  const run: CommandRunner = async argv => {
    commands.push(argv)
    if (argv.some(a => a.startsWith('--query-gpu=index'))) return { code: 0, stdout: FAKE_QUERY_OUTPUT, stderr: '' }
    if (argv.some(a => a.startsWith('--query-gpu=uuid'))) return { code: 0, stdout: FAKE_GPUS.map(g => `${g.uuid}, ${g.index * 10}, ${g.index}, 81559`).join('\n'), stderr: '' }
    return { code: 1, stdout: '', stderr: 'unexpected' }
  }
  const exists = (p: string) => present.has(p)
  return {
    commands, run, which: () => null, exists,
    readFile: p => files[p], readdir: () => [],
    volume: { run, which: () => null, exists, realpath: p => p, copy() {}, symlink() {}, mkdir() {} },
    store: memoryStore(),
    ...over,
  }
}
