// Programs the agent's kernel L4 load balancer from the master's VIPS messages: the nftables table of
// nft-ruleset.ts and the VIP addresses on `lo` (label lo:mesovip). Desired state only: every message holds the
// whole table, and the agent makes the kernel match it (what a previous run left is replaced or removed), so an
// agent restart neither loses VIPs (the kernel keeps serving them meanwhile) nor leaves stale ones once the master
// has sent the table again. Applies run one at a time; a table that arrives during an apply replaces any waiting one.
// Why nftables and not IPVS: docs/discovery.md.

import type { VipSpec } from '../../core/agent-protocol.ts'
import { logger } from '../../core/log.ts'
import { addressChanges, nftScript, parseLabelledAddresses, validateVips, VIP_ADDRESS_LABEL, vipAddresses } from './nft-ruleset.ts'

const log = logger('l4lb')

export interface L4lbOptions {
  /** Run every command in this network namespace (`ip netns exec`); tests use their own. */
  netns?: string
}

/** Why this host cannot program VIPs, or undefined. */
export function l4lbUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root'
  if (!Bun.which('nft')) return "no 'nft' (install the nftables package)"
  if (!Bun.which('ip')) return "no 'ip' (install iproute2)"
  return undefined
}

export class AgentL4lb {
  private running = false
  private waiting: VipSpec[] | undefined
  private idle: Promise<void> = Promise.resolve()
  private resolveIdle?: () => void
  /** What the kernel holds as far as this agent knows (undefined until the first apply). */
  applied?: VipSpec[]
  applies = 0
  lastError?: string

  constructor(private readonly opts: L4lbOptions = {}) {}

  /** Makes the kernel hold `vips` (soon: applies queue). */
  set(vips: VipSpec[]): void {
    this.waiting = vips
    if (this.running) return
    this.running = true
    this.idle = new Promise(r => { this.resolveIdle = r })
    void this.drain()
  }

  /** Resolves once nothing is being applied or waiting. */
  settled(): Promise<void> { return this.idle }

  private async drain() {
    try {
      while (this.waiting) {
        const vips = this.waiting
        this.waiting = undefined
        try {
          await this.apply(vips)
          this.applied = vips
          this.applies++
          this.lastError = undefined
        } catch (err) {
          this.lastError = (err as Error).message
          log.error(`Programming ${vips.length} VIP(s) failed: ${this.lastError}`)
        }
      }
    } finally {
      this.running = false
      this.resolveIdle?.()
    }
  }

  private argv(cmd: string[]): string[] {
    return this.opts.netns ? ['ip', 'netns', 'exec', this.opts.netns, ...cmd] : cmd
  }

  private async run(cmd: string[], stdin?: string): Promise<string> {
    const p = Bun.spawn(this.argv(cmd), { stdin: stdin === undefined ? 'ignore' : new Blob([stdin]), stdout: 'pipe', stderr: 'pipe' })
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
    if (code !== 0) throw new Error(`${cmd.join(' ')}: exit ${code}: ${err.trim().slice(0, 2000)}`)
    return out
  }

  private async apply(vips: VipSpec[]) {
    const desired = vipAddresses(vips)
    const current = parseLabelledAddresses(await this.run(['ip', '-4', '-o', 'addr', 'show', 'dev', 'lo', 'label', VIP_ADDRESS_LABEL]))
    const { add, remove } = addressChanges(current, desired)
    // Addresses first, so that a rule never points at a VIP the host does not route locally; removed ones after.
    for (const a of add) await this.run(['ip', 'addr', 'add', `${a}/32`, 'dev', 'lo', 'label', VIP_ADDRESS_LABEL])
    await this.run(['nft', '-f', '-'], nftScript(vips))
    for (const a of remove) await this.run(['ip', 'addr', 'del', `${a}/32`, 'dev', 'lo'])
    if (add.length || remove.length || vips.length) {
      log.info(`VIPs programmed: ${vips.length} (${vips.reduce((n, v) => n + v.backends.length, 0)} backends)${add.length ? `, +${add.length} address(es)` : ''}${remove.length ? `, -${remove.length} address(es)` : ''}`)
    }
  }
}

/**
 * What the agent does with a VIPS message: validate it and program the kernel, or, where it cannot (not root, no
 * nft), say so once per distinct table size instead of pretending (connections to those VIPs then fail on this host).
 */
export function vipsHandler(enabled = true): { handle(vips: unknown): void; l4lb?: AgentL4lb } {
  const why = enabled ? l4lbUnavailable() : 'started with --no-l4lb'
  const l4lb = why ? undefined : new AgentL4lb()
  let warned = false
  return {
    l4lb,
    handle(raw: unknown) {
      let vips: VipSpec[]
      try { vips = validateVips(raw) } catch (err) { log.error(`Ignoring a VIP table from the master: ${(err as Error).message}`); return }
      if (l4lb) { l4lb.set(vips); return }
      if (vips.length && !warned) {
        warned = true
        log.warn(`The master declares ${vips.length} VIP(s) but this agent cannot program them (${why}): connections to VIPs from this host fail`)
      }
    },
  }
}
