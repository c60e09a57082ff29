import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**"],
    testTimeout: 120_000,
    pool: "threads",
    // The JSON report is what .ci/run counts for its "N passed, N failed" line.
    reporters: ["default", "json"],
    outputFile: { json: ".ci/out/results.json" },
  },
});
