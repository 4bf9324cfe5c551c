// Compiles meso into one executable at dist/meso. Run with `npm run build` (uses the pinned Bun from node_modules).
// --no-compile-autoload-*: a runbook's .env or bunfig.toml in the current directory must never change meso silently.
import { $ } from 'bun'

const outfile = process.argv[2] ?? 'dist/meso'
const started = performance.now()
// Help text and flag definitions for the fast path, generated from the oclif classes (src/cli/manifest.ts).
await $`bun scripts/gen-cli-manifest.ts`.quiet()
await $`bun build src/main.ts --compile --splitting --minify --bytecode --format=esm --sourcemap=none \
  --no-compile-autoload-dotenv --no-compile-autoload-bunfig \
  --define process.env.NODE_ENV='"production"' --outfile ${outfile}`.quiet()
const size = Bun.file(outfile).size
console.error(`built ${outfile} (${(size / 1e6).toFixed(1)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`)
