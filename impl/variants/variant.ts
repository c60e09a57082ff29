/** A named implementation variant: what it changes and which real code or proposal it mirrors. */
import type { ImplementationFactory } from "../../properties/implementation.ts";
import type { Strategy } from "../strategy.ts";
import { strategyImplementation } from "../system.ts";

export interface Variant {
  readonly name: string;
  /** One line: what this variant is. */
  readonly summary: string;
  /** The real code, commit or mailing-list proposal it mirrors. */
  readonly mirrors: string;
  readonly create: ImplementationFactory;
}

export function variantFromStrategy(v: Omit<Variant, "create"> & { readonly strategy: Strategy }): Variant {
  const { strategy, ...rest } = v;
  return { ...rest, create: () => strategyImplementation(v.name, strategy) };
}
