import { defineConfig } from "tsup";

export default defineConfig((options) => ({
  entry: ["src/index.ts", "src/bin.ts"],
  format: ["esm"],
  dts: false,
  sourcemap: true,
  clean: !options.watch,
  target: "node20",
}));
