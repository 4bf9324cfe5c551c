// Runs a helper binary (a CNI plugin, ip(8)) to completion and captures its output, with a deadline: a plugin that
// hangs must fail the launch, not stall it.

export interface ProcessOutput { code: number; stdout: string; stderr: string; timedOut: boolean }

export async function runCaptured(argv: string[], opts: { stdin?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<ProcessOutput> {
  const p = Bun.spawn(argv, {
    stdin: opts.stdin !== undefined ? new TextEncoder().encode(opts.stdin) : 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    env: opts.env,
  })
  let timedOut = false
  const timer = setTimeout(() => { timedOut = true; p.kill('SIGKILL') }, opts.timeoutMs ?? 60_000)
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  clearTimeout(timer)
  return { code, stdout, stderr, timedOut }
}
