import { defineConfig } from "tsup";

export default defineConfig((options) => ({
  entry: { index: "src/index.ts", "smmuv3-hw/index": "src/smmuv3-hw/index.ts" },
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: !options.watch,
  target: "node20",
}));
