import { maskedRoutes } from "../patches/masked-routes.ts";
import { qemu72 } from "./qemu-7.2.ts";
import { extendVariant } from "./variant.ts";

/** The alternative the seed commit message rejects: qemu-7.2 refreshing masked routes too (D2). */
export const routeMasked = extendVariant(
  qemu72,
  {
    name: "route-masked",
    summary: "routes of masked RTEs refreshed too, still after service (the rejected alternative)",
    mirrors: "alternative discussed in the 54ad31fb0a commit message (qemu-devel, 2023-03-05)",
  },
  [maskedRoutes],
);
