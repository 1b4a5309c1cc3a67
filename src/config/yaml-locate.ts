import type { Document, LineCounter } from 'yaml';

/**
 * Finds the line of a path in a parsed YAML document. When the path does not exist (a required key is
 * missing), the nearest existing parent is used, so the error still points at the right block.
 */
export function lineOf(doc: Document, counter: LineCounter, path: ReadonlyArray<string | number>): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node: unknown = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return counter.linePos(range[0]).line;
  }
  return undefined;
}
