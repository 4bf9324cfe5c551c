// Help at any width: wrapped to the width at spaces only, so every word of the text survives whole.

import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { helpAsText } from '../../src/cli/meso-help.ts'
import { loadOclifConfig } from '../../src/commands/oclif-config.ts'

const config = await loadOclifConfig(join(import.meta.dir, '..', '..', 'src'))

const render = (subject: string[], width: number) => helpAsText(config, subject, width)

/** The words of a help text, ignoring layout (oclif pads columns and may move a flag's description below it). */
const wordsOf = (text: string) => text.split(/\s+/).filter(Boolean)

describe('help wraps to the width without breaking words', () => {
  for (const subject of [[], ['task'], ['task', 'run'], ['image', 'pull'], ['up']]) {
    test(`meso ${subject.join(' ')} --help`, async () => {
      const wide = await render(subject, 400)
      for (const width of [40, 60, 80, 120]) {
        const text = await render(subject, width)
        expect(wordsOf(text)).toEqual(wordsOf(wide))
        for (const line of text.split('\n')) {
          // An example (`$ meso …`) stays on one line to be copy-pasteable; a single word may be wider than the line.
          if (line.length > width && !line.trim().startsWith('$ ')) expect({ width, line, words: line.trim().split(/\s+/).length }).toEqual({ width, line, words: 1 })
        }
      }
    })
  }
})
