/** irqcheck's version, from package.json (`irqcheck --version`, counterexample provenance). */
import { readFileSync } from "node:fs";

export const VERSION: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

export const TOOL = `irqcheck ${VERSION}`;
