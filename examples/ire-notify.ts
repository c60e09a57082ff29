/**
 * A worked example of validating an optimization before posting it: QEMU 8.2 plus an IEC
 * notify whenever GCMD.IRE or CFI changes, so KVM routes are re-translated when
 * remapping is switched on or off (the D10a divergence). Try it:
 *
 *   irqcheck replay counterexamples/qemu-8.2/<a D10a file>.json --impl examples/ire-notify.ts
 *   irqcheck fuzz --impl examples/ire-notify.ts --runs 20000 --seed 1
 *
 * A module for `--impl` exports `variant` ({name, create}) or `createImplementation`.
 */
import { QEMU_BASELINE } from "../impl/strategy.ts";
import { variantFromStrategy } from "../impl/variants/index.ts";

export const variant = variantFromStrategy({
  name: "qemu-8.2+ire-notify",
  summary: "qemu-8.2 plus a global IEC notify on IRE/CFI changes",
  mirrors: "a proposed change to vtd_handle_gcmd_ire (not upstream)",
  strategy: {
    ...QEMU_BASELINE,
    iommu: { ...QEMU_BASELINE.iommu, recordFaults: true, notifyOnControlChange: true },
  },
});
