#!/usr/bin/env node
// The irqcheck command. The sources are TypeScript; tsx compiles them on load (Node 20
// has no type stripping), which also lets `--impl` load a user's variant written in .ts.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
