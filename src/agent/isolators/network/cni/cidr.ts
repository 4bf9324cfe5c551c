// IPv4 CIDR arithmetic for subnet choice and conflict checks (default-network.ts, bridge-conflicts.ts).

/** IPv4 CIDR → [network address as uint32, prefix length]. */
export function parseCidr(cidr: string): [number, number] {
  const [addr, len] = cidr.split('/')
  const n = addr!.split('.').reduce((acc, p) => (acc << 8) + Number(p), 0) >>> 0
  return [n, Number(len ?? 32)]
}

export function cidrsOverlap(a: string, b: string): boolean {
  const [na, la] = parseCidr(a)
  const [nb, lb] = parseCidr(b)
  const len = Math.min(la, lb)
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0
  return ((na & mask) >>> 0) === ((nb & mask) >>> 0)
}
