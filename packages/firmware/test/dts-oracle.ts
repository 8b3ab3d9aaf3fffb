/**
 * An independent reading of `dtc -I dtb -O dts` output, used as the oracle for the discovery tests: node paths,
 * and each property's text as dtc prints it. dtc prints one node header (`name {`) or property (`name = ...;`,
 * `name;`) per line and closes nodes with `};`.
 */
import { run } from "./fixtures";

export interface DtsNode {
  readonly path: string;
  readonly props: Map<string, string>;
}

export function decompile(dtbPath: string): DtsNode[] {
  const text = run("dtc", ["-q", "-I", "dtb", "-O", "dts", dtbPath]);
  const nodes: DtsNode[] = [];
  const stack: DtsNode[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const open = /^(?:[\w-]+:\s*)*(\/|[^\s=]+) \{$/.exec(line);
    if (open) {
      const name = open[1] as string;
      const parent = stack[stack.length - 1];
      const path = parent === undefined ? "/" : parent.path === "/" ? `/${name}` : `${parent.path}/${name}`;
      const node: DtsNode = { path, props: new Map() };
      nodes.push(node);
      stack.push(node);
    } else if (line === "};") {
      stack.pop();
    } else if (stack.length > 0 && line.endsWith(";")) {
      const eq = line.indexOf(" = ");
      const node = stack[stack.length - 1] as DtsNode;
      if (eq < 0) node.props.set(line.slice(0, -1), "");
      else node.props.set(line.slice(0, eq), line.slice(eq + 3, -1));
    }
  }
  return nodes;
}

/** `<0x01 0x02>, <0x03>` → [1, 2, 3]. */
export function dtsCells(text: string): number[] {
  const out: number[] = [];
  for (const group of text.matchAll(/<([^>]*)>/g)) {
    for (const tok of (group[1] as string).trim().split(/\s+/)) if (tok !== "") out.push(Number.parseInt(tok, 16));
  }
  return out;
}

/** `"a", "b"` → ["a", "b"]. */
export function dtsStrings(text: string): string[] {
  return [...text.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] as string);
}

/** `of_device_is_available` as read from dtc text. */
export function dtsAvailable(n: DtsNode): boolean {
  const s = n.props.get("status");
  if (s === undefined) return true;
  const v = dtsStrings(s)[0];
  return v === "okay" || v === "ok";
}
