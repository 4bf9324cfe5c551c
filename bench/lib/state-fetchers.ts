// Clients that fetch a master's state answer over and over, for bench/footprint.ts: `clients` concurrent loops for
// `seconds`, each reading every answer to its last byte. They run in their own process so that reading 100 MB
// answers does not delay the benchmark's own scheduler, whose call latencies are what is being measured; what they
// do cost the shared machine is part of the scenario (dashboards polling a busy master). Prints one JSON line:
// { fetches, ms: [...], bytes } (ms: each fetch's time to its last byte). The path GET_STATE stands for the v1
// operator call (POST /api/v1, JSON).
//
//   bun bench/lib/state-fetchers.ts <url> <clients> <seconds> [path|GET_STATE] [accept-encoding]

const [url, clientsArg, secondsArg, path = '/master/state', encoding = 'identity'] = process.argv.slice(2)
if (!url || !clientsArg || !secondsArg) throw new Error('usage: state-fetchers.ts <url> <clients> <seconds> [path|GET_STATE] [accept-encoding]')
const clients = Number(clientsArg)
const until = performance.now() + Number(secondsArg) * 1000
const ms: number[] = []
let bytes = 0
let errors = 0
let lastError = ''

async function loop(): Promise<void> {
  while (performance.now() < until) {
    const t0 = performance.now()
    try {
      const res = path === 'GET_STATE'
        ? await fetch(`${url}/api/v1`, {
          method: 'POST', body: '{"type":"GET_STATE"}', decompress: false,
          headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Accept-Encoding': encoding },
        } as RequestInit)
        : await fetch(url + path, { headers: { 'Accept-Encoding': encoding }, decompress: false } as RequestInit)
      const body = await res.arrayBuffer()
      if (res.status !== 200) throw new Error(`${path} → ${res.status}`)
      bytes = body.byteLength
      ms.push(performance.now() - t0)
    } catch (err) {
      errors++
      lastError = (err as Error).message
      await Bun.sleep(100)
    }
  }
}

await Promise.all(Array.from({ length: clients }, loop))
console.log(JSON.stringify({ fetches: ms.length, ms, bytes, errors, lastError }))

export {}
