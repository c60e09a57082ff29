// Worker-thread entry (cli/sandbox.ts): the sandbox worker, from the same build as the
// thread that started it.
import { CLI_ENTRIES, importEntryOfParent } from "./bundle.js";

await importEntryOfParent(CLI_ENTRIES, "cli/worker.ts");
