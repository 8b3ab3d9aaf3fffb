import { defineConfig } from "vitest/config";

/** One-shot run of every project (`pnpm test:all`); `pnpm test` goes through turbo per package. */
export default defineConfig({
  test: {
    projects: [
      "packages/*",
      "apps/*",
      {
        extends: "./vitest.shared.ts",
        test: { name: "architecture", include: ["test/**/*.test.ts"], root: "." },
      },
    ],
  },
});
