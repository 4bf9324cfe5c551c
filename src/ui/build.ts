// Bundles the web UI with Bun.build: src/ui/main.ts (Preact + htm, minified) and app.css, named by content hash, and
// index.html pointing at them. Used by scripts/build.ts (which embeds the result in the binary through
// bundle.generated.ts) and by the master run from sources (src/master/ui-assets.ts). Runs under Bun only.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface UiFile { type: string; body: string }

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', html: 'text/html; charset=utf-8', svg: 'image/svg+xml',
}

export async function buildUi(dir = import.meta.dir): Promise<Record<string, UiFile>> {
  const result = await Bun.build({
    entrypoints: [join(dir, 'main.ts'), join(dir, 'app.css')],
    target: 'browser',
    format: 'esm',
    minify: true,
    sourcemap: 'none',
    naming: '[name]-[hash].[ext]',
    define: { 'process.env.NODE_ENV': '"production"' },
  })
  if (!result.success) throw new Error(`bundling the web UI failed:\n${result.logs.map(l => String(l)).join('\n')}`)
  const files: Record<string, UiFile> = {}
  let script = ''
  let style = ''
  for (const out of result.outputs) {
    const name = out.path.replace(/^.*\//, '')
    const ext = name.split('.').pop() ?? ''
    files[`/assets/${name}`] = { type: TYPES[ext] ?? 'application/octet-stream', body: await out.text() }
    if (out.kind === 'entry-point' && ext === 'js') script = name
    if (ext === 'css') style = name
  }
  if (!script || !style) throw new Error(`bundling the web UI produced no ${script ? 'stylesheet' : 'script'}`)
  const icon = readFileSync(join(dir, 'favicon.svg'), 'utf8')
  files['/assets/favicon.svg'] = { type: TYPES.svg!, body: icon }
  files['/'] = {
    type: TYPES.html!,
    body: readFileSync(join(dir, 'index.html'), 'utf8').replace('{{script}}', `/assets/${script}`).replace('{{style}}', `/assets/${style}`),
  }
  return files
}
