// The master serving the web UI (src/master/ui-assets.ts) and the sandbox relay's input checks
// (src/master/ui-agent-files.ts), without a cluster. The browser tests are test/e2e/ui.test.ts.

import { expect, test } from 'bun:test'
import { gunzipSync } from 'node:zlib'
import { relayAgentFiles } from '../../src/master/ui-agent-files.ts'
import { serveUi, UI_CSP } from '../../src/master/ui-assets.ts'
import type { Master } from '../../src/master/master.ts'

const get = (path: string, headers: Record<string, string> = {}) => {
  const req = new Request(`http://127.0.0.1:5050${path}`, { headers })
  return serveUi(req, new URL(req.url))
}

test('index.html and its hashed assets, with the security and caching headers', async () => {
  const index = await get('/')
  expect(index.status).toBe(200)
  expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8')
  expect(index.headers.get('content-security-policy')).toBe(UI_CSP)
  expect(UI_CSP).toContain("script-src 'self'")
  expect(UI_CSP).toContain("frame-ancestors 'none'")
  expect(UI_CSP).not.toContain('unsafe')
  expect(index.headers.get('x-content-type-options')).toBe('nosniff')
  expect(index.headers.get('cache-control')).toBe('no-cache')
  const html = await index.text()
  expect(html).not.toMatch(/<script>|<style>|\sstyle=|\son\w+=/) // nothing inline
  const script = /src="(\/assets\/main-[\w-]+\.js)"/.exec(html)?.[1]
  const style = /href="(\/assets\/app-[\w-]+\.css)"/.exec(html)?.[1]
  expect(script).toBeDefined()
  expect(style).toBeDefined()

  const js = await get(script!, { 'Accept-Encoding': 'gzip, br' })
  expect(js.status).toBe(200)
  expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
  expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
  expect(js.headers.get('content-encoding')).toBe('gzip')
  const body = new TextDecoder().decode(gunzipSync(new Uint8Array(await js.arrayBuffer())))
  expect(body.length).toBeGreaterThan(1000)
  const etag = js.headers.get('etag')!
  expect(etag).toMatch(/^"[\w-]+"$/)
  const again = await get(script!, { 'If-None-Match': etag })
  expect(again.status).toBe(304)
  expect(await again.text()).toBe('')
  expect((await get(style!)).headers.get('content-type')).toBe('text/css; charset=utf-8')
  expect((await get('/assets/favicon.svg')).headers.get('content-type')).toBe('image/svg+xml')
  const missing = await get('/assets/nope.js')
  expect(missing.status).toBe(404)
  expect(await missing.text()).toBe("No UI file '/assets/nope.js'")
})

test('the sandbox relay refuses requests without an agent or path, and unknown agents', async () => {
  const master = { state: { agents: new Map() } } as unknown as Master
  const call = async (q: string) => {
    const url = new URL(`http://127.0.0.1:5050/api/meso/v1/agent_files/read?${q}`)
    const res = await relayAgentFiles(master, 'read', new Request(url.href), url)
    return [res.status, await res.text()]
  }
  expect(await call('path=/x')).toEqual([400, "Missing 'agent_id' query parameter"])
  expect(await call('agent_id=A')).toEqual([400, "Missing 'path' query parameter"])
  expect(await call('agent_id=A&path=/x')).toEqual([404, "No registered agent with id 'A'"])
})
