import type { Patch } from "../patch.ts";

/**
 * Fix for D11: with SVT = 10b, SID[15:8] is the start bus and SID[7:0] the end bus, as
 * VT-d and Linux's `set_irte_verify_bus` have it (semantics.md D11).
 */
export const svtBusRangeVtd: Patch = {
  name: "SVT bus range per VT-d",
  mirrors: "VT-d spec, IRTE SVT = 10b; Linux set_irte_verify_bus",
  iommu: (Base) =>
    class extends Base {
      protected override vtd_irte_bus_range(irteSid: number): readonly [min: number, max: number] {
        return [irteSid >>> 8, irteSid & 0xff];
      }
    },
};
