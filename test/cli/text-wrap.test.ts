// Help wrapping: at spaces only, never inside a word; the width comes from $COLUMNS, the terminal, or 80.

import { describe, expect, test } from 'bun:test'
import { helpWidth, wrapWords } from '../../src/cli/text-wrap.ts'

describe('wrapWords', () => {
  test('breaks at the last space that fits', () => {
    expect(wrapWords('the quick brown fox jumps', 10)).toBe('the quick\nbrown fox\njumps')
  })
  test('never breaks a word: a word wider than the line stays whole on its own line', () => {
    const text = 'run in this Docker/OCI image ([REGISTRY[:PORT]/]REPO[:TAG|@DIGEST]); without a command'
    const out = wrapWords(text, 20)
    expect(out.split('\n')).toContain('([REGISTRY[:PORT]/]REPO[:TAG|@DIGEST]);')
    expect(out.split(/\s+/)).toEqual(text.split(/\s+/))
    for (const line of out.split('\n')) expect(line.length <= 20 || !line.includes(' ')).toBe(true)
  })
  test('keeps existing line breaks and short lines as they are', () => {
    expect(wrapWords('a  b\nc d e f', 5)).toBe('a  b\nc d e\nf')
    expect(wrapWords('', 10)).toBe('')
  })
  test('keeps the indentation of the first line', () => {
    expect(wrapWords('    alpha beta gamma', 12)).toBe('    alpha\nbeta gamma')
  })
})

describe('helpWidth', () => {
  test('$COLUMNS, else the terminal width on a TTY, else 80; never under 40', () => {
    expect(helpWidth({ COLUMNS: '120' }, { isTTY: false })).toBe(120)
    expect(helpWidth({}, { isTTY: true, columns: 132 })).toBe(132)
    expect(helpWidth({}, { isTTY: false, columns: 132 })).toBe(80)
    expect(helpWidth({}, {})).toBe(80)
    expect(helpWidth({ COLUMNS: '20' }, {})).toBe(40)
    expect(helpWidth({ COLUMNS: 'wide' }, { isTTY: true, columns: 100 })).toBe(100)
  })
})
