// A warm one-node cluster for a benchmark: `meso up` (master and agent in one process) in its own work dir, with
// the linux launcher and an in-memory registry; stopped with Ctrl-C's signal, as a user would.

import { mesoCommand } from './meso-bin.ts'

export interface UpCluster { url: string; stop(): Promise<void> }

export async function startUpCluster(workDir: string, extra: string[] = []): Promise<UpCluster> {
  const proc = Bun.spawn([...mesoCommand(), 'up', `--work_dir=${workDir}`, '--port=0', '--launcher=linux', '--registry=in_memory', ...extra], { stdout: 'pipe', stderr: 'pipe' })
  let out = ''
  const dec = new TextDecoder()
  for await (const c of proc.stdout) {
    out += dec.decode(c)
    const m = /master (http:\/\/\S+) \(scheduler API/.exec(out)
    if (m) return { url: m[1]!, stop: async () => { proc.kill('SIGINT'); await proc.exited } }
  }
  throw new Error(`meso up failed: ${out}${await new Response(proc.stderr).text()}`)
}
