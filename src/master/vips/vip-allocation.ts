// Addresses of named VIPs: each (framework name, VIP name) gets one address from --vip_range and keeps it for good,
// across master restarts and failovers (the caller persists every new allocation in the registrar's key-value area
// and hands the recovered ones back). The first choice is a hash of the key, so even a lost registrar tends to give
// the same addresses again; a taken address moves to the next free one. Pure.

import { isIpv4 } from './vip-labels.ts'

export class VipRange {
  private constructor(readonly cidr: string, readonly base: number, readonly size: number) {}

  /** `11.0.0.0/8` → the range; throws with what is wrong. */
  static parse(cidr: string): VipRange {
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(cidr.trim())
    if (!m || !isIpv4(m[1]!)) throw new Error(`--vip_range=${cidr}: expected an IPv4 CIDR such as 11.0.0.0/8`)
    const bits = Number(m[2])
    if (bits < 8 || bits > 30) throw new Error(`--vip_range=${cidr}: the prefix must be /8 to /30`)
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0
    const base = (ipToInt(m[1]!) & mask) >>> 0
    if (base !== ipToInt(m[1]!)) throw new Error(`--vip_range=${cidr}: host bits are set (the network is ${intToIp(base)}/${bits})`)
    return new VipRange(cidr.trim(), base, 2 ** (32 - bits))
  }

  contains(ip: string): boolean {
    if (!isIpv4(ip)) return false
    const n = ipToInt(ip)
    return n > this.base && n < this.base + this.size - 1
  }

  /** The i-th usable address (0 ≤ i < usable): the network and broadcast addresses are left out. */
  at(i: number): string { return intToIp(this.base + 1 + i) }
  get usable(): number { return this.size - 2 }
}

export function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, p) => ((n << 8) | Number(p)) >>> 0, 0)
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
}

/** FNV-1a, 32 bits: spreads keys over the range the same way on every master. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5
  for (const b of Buffer.from(s)) { h ^= b; h = Math.imul(h, 0x01000193) >>> 0 }
  return h
}

/** The registrar key of a named VIP. */
export const vipKey = (frameworkName: string, name: string) => `${frameworkName}/${name}`

export class VipAllocator {
  private readonly byKey = new Map<string, string>()
  private readonly taken = new Set<string>()

  /**
   * `recovered`: key → address as persisted. An address outside the range (the range changed) or taken twice is
   * dropped, and that key gets a new one when it is next asked for.
   */
  constructor(readonly range: VipRange, recovered: Iterable<[string, string]>, private readonly persist: (key: string, ip: string) => void) {
    for (const [key, ip] of recovered) {
      if (!range.contains(ip) || this.taken.has(ip)) continue
      this.byKey.set(key, ip)
      this.taken.add(ip)
    }
  }

  get allocated(): number { return this.byKey.size }

  /** The address of `key`, allocated (and persisted) on first use; throws when the range is full. */
  addressOf(key: string): string {
    const have = this.byKey.get(key)
    if (have) return have
    const usable = this.range.usable
    if (this.taken.size >= usable) throw new Error(`--vip_range ${this.range.cidr} is full (${usable} named VIPs); cannot give '${key}' an address`)
    const start = fnv1a(key) % usable
    for (let i = 0; i < usable; i++) {
      const ip = this.range.at((start + i) % usable)
      if (this.taken.has(ip)) continue
      this.byKey.set(key, ip)
      this.taken.add(ip)
      this.persist(key, ip)
      return ip
    }
    throw new Error(`--vip_range ${this.range.cidr} is full`)
  }

  /** The address `key` has, without allocating. */
  peek(key: string): string | undefined { return this.byKey.get(key) }
}
