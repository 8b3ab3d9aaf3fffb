import { defineConfig } from "vitest/config";

/**
 * The pack-and-consume test (`pnpm test:pack`). Deliberately NOT the shared config: no `@dmasim/source` condition,
 * the packages are used only as npm installs them from their tarballs.
 */
export default defineConfig({
  test: {
    name: "pack",
    root: new URL(".", import.meta.url).pathname,
    include: ["*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
