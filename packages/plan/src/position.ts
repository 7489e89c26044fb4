// Maps plan paths (JSON pointer segments) back to YAML nodes, and nodes to
// file:line:column, so every plan error points at the offending text.
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type PathSeg = string | number;

export interface Located {
  /** The deepest node on the path that exists. */
  node?: Node;
  /** The key node of the last map entry walked into (for "unknown key" errors). */
  key?: Node;
  /** True when the whole path exists. */
  exact: boolean;
}

/** Walks a path through the document; stops at the deepest node that exists. */
export function locate(doc: Document, path: PathSeg[]): Located {
  let node = doc.contents as Node | null | undefined;
  let key: Node | undefined;
  for (const seg of path) {
    if (node && isAlias(node)) node = node.resolve(doc) as Node | undefined;
    if (node && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return { node, key, exact: false };
      key = pair.key as Node;
      node = (pair.value as Node | null) ?? key;
    } else if (node && isSeq(node) && /^\d+$/.test(String(seg))) {
      const item = node.items[Number(seg)] as Node | undefined;
      if (!item) return { node, key, exact: false };
      node = item;
    } else {
      return { node: node ?? undefined, key, exact: false };
    }
  }
  return { node: node ?? undefined, key, exact: true };
}

/** Finds the key node of `name` inside the map at `path` (for unknown-key errors). */
export function keyNode(doc: Document, path: PathSeg[], name: string): Node | undefined {
  const { node } = locate(doc, path);
  if (!node || !isMap(node)) return undefined;
  return node.items.find((p) => isScalar(p.key) && String(p.key.value) === name)?.key as Node | undefined;
}

/** "file:line:col" of a source offset (1-based line and column). */
export function where(file: string, lc: LineCounter, offset: number | undefined): string {
  const { line, col } = lc.linePos(Math.max(0, offset ?? 0));
  return `${file}:${line}:${col}`;
}

export const nodeStart = (n: Node | undefined): number | undefined => n?.range?.[0];

/** A readable path: targets[0].url, signers["a.b"].key, (root) for the top. */
export function formatPath(path: PathSeg[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number' || /^\d+$/.test(seg)) out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out || '(root)';
}

/** JSON pointer ("/targets/0/url") to segments; numeric segments stay strings for map keys like "0". */
export function pointerToPath(pointer: string): PathSeg[] {
  if (!pointer) return [];
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}
