/** `irqcheck scenarios`: the scenario x variant table, --only, --json, and bad usage. */
import { describe, expect, it } from "vitest";
import { UsageError } from "./errors.ts";
import { scenarios } from "./scenarios.ts";

async function run(...argv: string[]) {
  const out: string[] = [];
  const code = await scenarios(argv, { out: (l) => out.push(l), err: (l) => out.push(l) });
  return { code, out: out.join("\n") };
}

describe("irqcheck scenarios", () => {
  it("prints one row per scenario with the reference and each variant, and a summary (exit 0)", async () => {
    const r = await run();
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^scenario +reference +qemu-7\.2 +qemu-8\.0 /);
    expect(r.out).toMatch(/^D1-unmask-after-retarget +pass +#8 misrouted-delivery \[D1,D2\] +pass /m);
    expect(r.out).toMatch(/^\d+ scenarios; reference (\d+)\/\1; qemu-7\.2 \d+\/\d+, .*irqfd-cache (\d+)\/\2/m);
  });

  it("--only and --variant narrow the table; --verbose says what each checks", async () => {
    const r = await run("--only", "D1-", "--variant", "qemu-8.0", "--verbose");
    expect(r.out.split("\n")).toEqual([
      expect.stringMatching(/^scenario +reference +qemu-8\.0$/),
      expect.stringMatching(/^D1-unmask-after-retarget +pass +pass$/),
      expect.stringMatching(/^ {2}Linux moves a pending level IRQ .*semantics\.md D1/),
      "1 scenarios; reference 1/1; qemu-8.0 1/1",
    ]);
  });

  it("--json: variants and, per scenario, the reference mismatches and each variant's verdict", async () => {
    const r = await run("--json", "--only", "D2-", "--variant", "qemu-7.2");
    const j = JSON.parse(r.out);
    expect(j.variants).toEqual(["qemu-7.2"]);
    expect(j.scenarios).toEqual([
      expect.objectContaining({
        scenario: "D2-unmask-with-new-vector",
        reference: [],
        verdicts: [
          {
            scenario: "D2-unmask-with-new-vector",
            variant: "qemu-7.2",
            ok: false,
            step: 6,
            signature: "qemu-7.2/delivery-log/ioapic.write/wrong-vector",
            known: ["D1", "D2"],
          },
        ],
      }),
    ]);
  });

  it("an unknown variant is a usage error", async () => {
    await expect(run("--variant", "qemu-1.0")).rejects.toThrow(UsageError);
  });
});
