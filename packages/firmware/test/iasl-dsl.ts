/**
 * Reads just enough of an `iasl -d` IORT disassembly to cross-check the parser: node offsets and header fields,
 * and each ID mapping's Input base / ID Count / Output Base / Output Reference / Flags. Handles both the
 * `[0C4h 0196   4]` (iasl 2020) and `[0C4h 0196 004h]` (newer) field prefixes.
 */
export interface DslMapping {
  inputBase: number;
  idCount: number;
  outputBase: number;
  outputReference: number;
  flags: number;
}
export interface DslNode {
  offset: number;
  type: number;
  length: number;
  revision: number;
  mappingCount: number;
  mappingOffset: number;
  fields: Map<string, number>;
  mappings: DslMapping[];
}
export interface DslTable {
  revision: number;
  length: number;
  nodes: DslNode[];
}

export function parseDsl(text: string): DslTable {
  const table: DslTable = { revision: -1, length: -1, nodes: [] };
  let node: DslNode | undefined;
  let mapping: Partial<DslMapping> | undefined;
  for (const line of text.split("\n")) {
    const m = /^\[([0-9A-F]+)h [0-9]+\s+[0-9A-Fh]+\]\s+(.*?) : (.*)$/.exec(line);
    if (!m) continue;
    const offset = Number.parseInt(m[1] as string, 16);
    const name = (m[2] as string).trim().replace(/ \(decoded below\)$/, "");
    const value = Number.parseInt((m[3] as string).trim().split(/\s/)[0] as string, 16);
    if (offset < 0x30) {
      if (name === "Revision") table.revision = value;
      if (name === "Table Length") table.length = value;
      continue;
    }
    if (name === "Type") {
      node = { offset, type: value, length: 0, revision: 0, mappingCount: 0, mappingOffset: 0, fields: new Map(), mappings: [] };
      table.nodes.push(node);
      continue;
    }
    if (node === undefined) continue;
    switch (name) {
      case "Length":
        node.length = value;
        break;
      case "Revision":
        node.revision = value;
        break;
      case "Mapping Count":
        node.mappingCount = value;
        break;
      case "Mapping Offset":
        node.mappingOffset = value;
        break;
      case "Input base":
        mapping = { inputBase: value };
        break;
      case "ID Count":
        if (mapping) mapping.idCount = value;
        break;
      case "Output Base":
        if (mapping) mapping.outputBase = value;
        break;
      case "Output Reference":
        if (mapping) mapping.outputReference = value;
        break;
      case "Flags":
        if (mapping && mapping.outputReference !== undefined) {
          mapping.flags = value;
          node.mappings.push(mapping as DslMapping);
          mapping = undefined;
        } else node.fields.set(name, value);
        break;
      default:
        node.fields.set(name, value);
    }
  }
  return table;
}
