/**
 * The topology as a Graphviz graph: the PCI tree (host bridge, bridges, endpoints) and platform masters as nodes
 * joined to their parent, IOMMU groups as clusters labelled with their number and default-domain type, SMMUs as
 * their own nodes with a dashed edge from each master carrying its StreamIDs. Node ids are generated (`n0`, `n1`);
 * every label from input is a DOT string with its quotes and backslashes escaped (Graphviz then XML-escapes it).
 */
import { formatStreamIds } from "../render/format";
import type { TopologyData, TopologyKind, TopologyNode } from "../views/topology";

/** Escapes text for a DOT double-quoted string (no escape sequence of the user's survives). */
export function dotString(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/[\r\n]+/g, " ")}"`;
}

/** A label of several lines, each escaped. */
function dotLines(lines: readonly string[]): string {
  return `"${lines.map((l) => dotString(l).slice(1, -1)).join("\\n")}"`;
}

const STYLE: Readonly<Record<TopologyKind, string>> = {
  smmu: 'shape=box3d, style="filled", fillcolor="#efe5fb", color="#7b4fb0"',
  "host-bridge": 'shape=box, style="rounded,filled,bold", fillcolor="#e8eef7", color="#30507a"',
  bridge: 'shape=box, style="rounded,filled", fillcolor="#eef3f8", color="#5a7594"',
  endpoint: 'shape=box, style="rounded,filled", fillcolor="#ffffff", color="#5a7594"',
  platform: 'shape=box, style="filled", fillcolor="#fdf8ec", color="#a0802c"',
};

function labelOf(n: TopologyNode): string[] {
  const lines = [n.name];
  if (n.kind === "smmu") lines.push("SMMUv3");
  else if (n.kind === "host-bridge") lines.push("root complex");
  else lines.push(n.driver === null ? "no driver" : `driver ${n.driver}`);
  return lines;
}

/** The DOT source of a topology. */
export function topologyDot(t: TopologyData): string {
  const ids = new Map<string, string>();
  t.nodes.forEach((n, i) => ids.set(n.name, `n${i}`));
  const out: string[] = [
    "digraph topology {",
    '  graph [rankdir=TB, nodesep=0.25, ranksep=0.45, fontname="Courier", fontsize=11, bgcolor="transparent"];',
    '  node [fontname="Courier", fontsize=10, margin="0.08,0.04", height=0.3];',
    '  edge [color="#5a7594", arrowsize=0.6, fontname="Courier", fontsize=9];',
  ];
  const groups = new Map<number, TopologyNode[]>();
  for (const n of t.nodes) {
    if (n.group === null || n.kind === "smmu") continue;
    const list = groups.get(n.group) ?? [];
    list.push(n);
    groups.set(n.group, list);
  }
  const inGroup = new Set<string>();
  for (const [g, members] of [...groups].sort((a, b) => a[0] - b[0])) {
    const type = members.find((m) => m.domainType !== null)?.domainType ?? null;
    out.push(`  subgraph cluster_g${g} {`);
    out.push(`    label=${dotString(`group ${g}${type === null ? "" : ` (${type})`}`)}; style="rounded,dashed"; color="#7b4fb0"; fontcolor="#5b3a86";`);
    for (const m of members) {
      inGroup.add(m.name);
      out.push(`    ${ids.get(m.name)} [label=${dotLines(labelOf(m))}, ${STYLE[m.kind]}];`);
    }
    out.push("  }");
  }
  const smmus = t.nodes.filter((n) => n.kind === "smmu");
  if (smmus.length > 0) out.push(`  { rank=min; ${smmus.map((s) => ids.get(s.name)).join("; ")}; }`);
  for (const n of t.nodes) if (!inGroup.has(n.name)) out.push(`  ${ids.get(n.name)} [label=${dotLines(labelOf(n))}, ${STYLE[n.kind]}];`);
  for (const n of t.nodes) {
    const p = n.parent === null ? undefined : ids.get(n.parent);
    if (p !== undefined) out.push(`  ${p} -> ${ids.get(n.name)};`);
  }
  for (const n of t.nodes) {
    const s = n.iommu === null ? undefined : ids.get(n.iommu);
    if (s === undefined || n.kind === "smmu") continue;
    out.push(`  ${ids.get(n.name)} -> ${s} [style=dashed, color="#7b4fb0", fontcolor="#5b3a86", constraint=false, label=${dotString(`SID ${formatStreamIds(n.streamIds)}`)}];`);
  }
  if (t.hiddenDevices > 0) {
    out.push(`  hidden [label=${dotString(`${t.hiddenDevices} other platform device(s): no driver, no IOMMU`)}, shape=note, style="filled", fillcolor="#f6f6f6", color="#aaaaaa", fontcolor="#666666"];`);
  }
  out.push("}");
  return `${out.join("\n")}\n`;
}
