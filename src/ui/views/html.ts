// Tagged-template JSX without a compile step: htm bound to Preact's h (docs/ui.md explains the choice).

import htm from 'htm'
import { h, type VNode } from 'preact'

export const html = htm.bind(h) as (strings: TemplateStringsArray, ...values: unknown[]) => VNode
