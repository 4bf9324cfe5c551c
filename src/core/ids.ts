// Identifiers in Mesos' formats: master ids are UUIDs, frameworks `<master>-NNNN`, agents `<master>-S<n>`,
// offers `<master>-O<n>`; status update uuids are 16 raw bytes, base64 on the wire.

export const newUuid = () => crypto.randomUUID()

/** A fresh status-update uuid as Mesos sends it in JSON: base64 of the 16 raw bytes. */
export function newUpdateUuid(): string {
  const hex = crypto.randomUUID().replace(/-/g, '')
  return Buffer.from(hex, 'hex').toString('base64')
}

export const frameworkIdFor = (masterId: string, n: number) => `${masterId}-${String(n).padStart(4, '0')}`
export const agentIdFor = (masterId: string, n: number) => `${masterId}-S${n}`
export const offerIdFor = (masterId: string, n: number) => `${masterId}-O${n}`

/** IPv4 as Mesos' MasterInfo.ip: the address in network byte order read as a little-endian uint32. */
export function ipToUint32(ip: string): number {
  const parts = ip.split('.').map(Number)
  if (parts.length !== 4 || parts.some(p => !(p >= 0 && p <= 255))) return 0
  return ((parts[3]! << 24) >>> 0) + (parts[2]! << 16) + (parts[1]! << 8) + parts[0]!
}
