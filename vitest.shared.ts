import { fileURLToPath } from "node:url";
import { defineProject } from "vitest/config";

/** Sibling packages resolve to their `src/` through this export condition, so tests need no build. */
const conditions = ["@dmasim/source"];

export default defineProject({
  resolve: { conditions },
  // Node-environment tests resolve through the SSR resolver: vitest 4 needs the condition here too.
  ssr: { resolve: { conditions } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    restoreMocks: true,
    // CI runs every package's tests and type checks at once on two cores: allow for a slow machine. Speed is
    // measured by the bench/ scripts, never by a test's time limit.
    testTimeout: 60_000,
    setupFiles: [fileURLToPath(new URL("./vitest.setup.ts", import.meta.url))],
    hookTimeout: 60_000,
  },
});
