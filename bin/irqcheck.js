#!/usr/bin/env node
// The irqcheck command. The sources are TypeScript, run as a compiled bundle (bin/bundle.js)
// or, where it cannot be built, through tsx; a user's `--impl` variant in .ts is loaded
// through tsx either way (cli/resolve.ts).
import { CLI_ENTRIES, importEntry } from "./bundle.js";

const { main } = await importEntry(CLI_ENTRIES, "cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
