/** Types of bin/bundle.js, for the TypeScript that imports it (its test). */
export declare const CLI_ENTRIES: readonly string[];
export declare const BUNDLE_ENV: string;
export declare function bundleDir(entries: readonly string[]): Promise<string | null>;
export declare function importEntry(entries: readonly string[], entry: string): Promise<Record<string, unknown>>;
export declare function importEntryOfParent(
  entries: readonly string[],
  entry: string,
): Promise<Record<string, unknown>>;
