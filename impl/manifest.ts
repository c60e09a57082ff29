/**
 * What irqcheck knows about each variant, as data: the divergences found (with which
 * system is wrong and why), the change that removes each, the signatures they show as, and
 * the verdicts the test suite holds every variant to. A finding is explained by a known
 * divergence when applying that divergence's fix to the variant makes it pass
 * (impl/triage.ts); a finding no known fix removes is news.
 */

import {
  assertedLineReasserted,
  assertedWhileEdgeThenLevel,
  busRangeIrteInUse,
  edgeInterruptOnLevelVector,
  extintDelivered,
  invalidationWhileVirtioVectorMasked,
  levelToEdgeWhileAsserted,
  levelVectorChangedInService,
  type Mechanism,
  messageOutsideInterruptWindow,
  remappingOn,
  remappingSwitched,
} from "./mechanisms.ts";
import { compatFormatVtd } from "./patches/compat-format-vtd.ts";
import { eagerIoapicRoutes } from "./patches/eager-ioapic-routes.ts";
import { eoiExitByTmr } from "./patches/eoi-exit-by-tmr.ts";
import { extintThroughRoutes } from "./patches/extint-through-routes.ts";
import { interruptWindowRoutes } from "./patches/interrupt-window-routes.ts";
import { intxFollowsRteMask } from "./patches/intx-follows-rte-mask.ts";
import { ireIecNotify } from "./patches/ire-iec-notify.ts";
import { latchedInputs } from "./patches/latched-inputs.ts";
import { noIrFaultRecording } from "./patches/no-ir-fault-recording.ts";
import { noKvmIntx } from "./patches/no-kvm-intx.ts";
import { rejectIllegalVectors } from "./patches/reject-illegal-vectors.ts";
import { routesAfterService } from "./patches/routes-after-service.ts";
import { svtBusRangeVtd } from "./patches/svt-bus-range-vtd.ts";
import { userspaceFallback } from "./patches/userspace-fallback.ts";
import { virtioUnmaskUpdate } from "./patches/virtio-unmask-update.ts";
import type { Change } from "./variants/variant.ts";

export interface KnownDivergence {
  readonly id: string;
  readonly title: string;
  /** Which system is wrong, and the evidence (semantics.md section, source, real-QEMU run). */
  readonly explanation: string;
  /** `op/difference` signatures it shows as (see properties/signature.ts). */
  readonly signatures: readonly string[];
  /** Variants that have it. */
  readonly variants: readonly string[];
  /**
   * Variants that claim to fix it: `regress` requires each saved counterexample of this
   * divergence to pass on them.
   */
  readonly fixedBy: readonly string[];
  /** The change that removes it: a fix to add, or the variant's own change to revert. */
  readonly fix: Change;
  /**
   * Its trigger, where the fix replaces a whole path and would also remove other bugs on
   * it: a finding is only explained by this divergence if the reference run of its
   * commands shows the trigger (impl/mechanisms.ts).
   */
  readonly mechanism?: Mechanism;
  /**
   * Where a real system showed it: the `irqcheck real` scenario and the QEMU/KVM it was run
   * on (impl/real/EVIDENCE.md), or why no real run can show it here.
   */
  readonly realSystem: string;
}

/** Every `op/difference` pair of these ops and kinds. */
function signaturesOf(ops: readonly string[], kinds: readonly string[]): string[] {
  return ops.flatMap((op) => kinds.map((kind) => `${op}/${kind}`));
}

/** The commands after which an interrupt can have been delivered. */
const DELIVERING_OPS = [
  "line.set",
  "line.pulse",
  "ioapic.write",
  "ioapic.eoi",
  "eoi.broadcast",
  "cpu.eoi",
  "msi.fire",
  "msi.mask",
  "msi.program",
];

const QEMU = ["qemu-7.2", "qemu-8.0", "qemu-8.2", "route-masked", "msi-direct"];
const CACHES = ["irqfd-cache", "irqfd-cache-lazy"];
/** Commands after which an assigned device's INTx can be injected from its irqfd (D9, D9r). */
const INTX_OPS = ["line.set", "line.pulse", "cpu.eoi", "ioapic.eoi", "eoi.broadcast", "ioapic.write", "iec.invalidate"];
const INTX_DELIVERY_KINDS = [
  "spurious-delivery",
  "missing-delivery",
  "misrouted-delivery",
  "wrong-vector",
  "wrong-trigger",
  "lapic-state",
];

export const KNOWN_DIVERGENCES: readonly KnownDivergence[] = [
  {
    id: "D1",
    title: "stale route on unmask of a pending level IRQ (the seed bug)",
    explanation:
      "QEMU is wrong. ioapic_mem_write serviced the pin before ioapic_update_kvm_routes, which skips masked pins, so the unmasking write delivers through the route of the last unmasked state (semantics.md §1.8, D1; fixed by 54ad31fb0a; reproduced on Debian's QEMU 7.2.22, real-qemu.md).",
    signatures: [
      "ioapic.write/misrouted-delivery",
      "ioapic.write/wrong-vector",
      "ioapic.write/wrong-trigger",
      // the stale route targets an APIC ID no vCPU has (real-qemu.md: with one vCPU, lost)
      "ioapic.write/missing-delivery",
      // the stale route has the new target and vector but the old delivery mode
      "ioapic.write/lapic-state",
    ],
    variants: ["qemu-7.2"],
    fixedBy: ["qemu-8.0", "qemu-8.2", "route-masked", "msi-direct", ...CACHES],
    fix: { revert: routesAfterService },
    realSystem:
      "irqcheck real seed (and ir-handle-change, with IR) --kvm nested --kernel 6.1|6.12: QEMU 7.2.22 delivers through the stale route as qemu-7.2 says; QEMU 10.0.2 refines the reference; also on this host's KVM (real-qemu.md).",
  },
  {
    id: "D2",
    title: "vector changed in the same write that unmasks, with routes refreshed after service",
    explanation:
      "The variant is wrong: refreshing masked routes does not help when the unmasking write itself changes the low word; service still runs before the refresh (semantics.md D2, the 54ad31fb0a commit message).",
    signatures: [
      "ioapic.write/wrong-vector",
      "ioapic.write/wrong-trigger",
      "ioapic.write/misrouted-delivery",
      "ioapic.write/lapic-state",
    ],
    variants: ["qemu-7.2", "route-masked"],
    fixedBy: ["qemu-8.0", "qemu-8.2", "msi-direct", ...CACHES],
    fix: { revert: routesAfterService },
    realSystem:
      "irqcheck real vector-change --kvm nested --kernel 6.1|6.12: QEMU 7.2.22 delivers the old vector as qemu-7.2 says (explained by the same fix as D1); route-masked is a design, not a release.",
  },
  {
    id: "D3",
    title: "stale route after an IRTE becomes invalid (P = 0, reserved bits, IRTA shrunk) and is invalidated",
    explanation:
      "QEMU is wrong: the KVM route pre-translation fails (do_fault = false) and kvm_irqchip_update_msi_route leaves the old entry, so the cached path delivers with the old translation and no fault is recorded; the reference blocks and records the fault (semantics.md §3.1, §4.2, D3).",
    signatures: [
      ...signaturesOf(
        ["msi.fire", "msi.mask", "msi.program"],
        ["missing-fault", "spurious-delivery", "fault-record-state"],
      ),
      // the IOAPIC's stale route can point anywhere the last valid translation did
      ...signaturesOf(
        ["line.set", "line.pulse", "ioapic.write", "ioapic.eoi", "eoi.broadcast", "cpu.eoi"],
        [
          "missing-fault",
          "spurious-delivery",
          "fault-record-state",
          "misrouted-delivery",
          "wrong-vector",
          "wrong-trigger",
        ],
      ),
    ],
    variants: QEMU,
    fixedBy: CACHES,
    fix: { add: userspaceFallback },
    mechanism: remappingOn,
    realSystem:
      "irqcheck real ir-invalid-irte --kvm nested --kernel 6.1|6.12: QEMU 7.2.22 and 10.0.2 deliver through the stale route and record no fault, as the variants say.",
  },
  {
    id: "D7",
    title: "virtio-pci MSI-X: IEC invalidation while the vector is masked is never applied",
    explanation:
      "QEMU is wrong: kvm_update_msi_routes_all skips masked vectors and virtio_pci_one_vector_unmask compares the untranslated message with its cached copy, so the route keeps the old IRTE's translation after the unmask (semantics.md §3.4, §3.6, D7).",
    // lapic-state: the stale route has a current form's target and vector but another delivery mode.
    signatures: ["msi.fire/misrouted-delivery", "msi.fire/wrong-vector", "msi.fire/lapic-state"],
    variants: QEMU,
    fixedBy: CACHES,
    fix: { add: virtioUnmaskUpdate },
    mechanism: invalidationWhileVirtioVectorMasked,
    realSystem:
      "None here: it needs an irqfd-backed virtio-pci MSI-X vector the guest programs, masks and fires; this machine's QEMU devices give the guest no such vector without ivshmem-server (not in Debian), so real runs skip MSI-X commands.",
  },
  {
    id: "D10a",
    title: "IRE switched without an IEC notify: routes keep the translation of the other mode",
    explanation:
      "QEMU is wrong: GCMD.IRE changes fire no IEC notifier, so routes built with remapping off keep delivering pass-through translations after it is switched on, and routes whose re-translation failed while it was on stay stale after it is switched off (semantics.md §4.1, D10a).",
    // The stale pass-through route of an MSI-X vector differs from its IRTE's translation
    // in destination, vector or trigger mode (misrouted, wrong-vector, lapic-state); a
    // re-translation that fails once IRE is on leaves it in place too (D3), so an IRTE
    // written after the switch is still not used: seen as D3+D10a (qemu-8.2, uniform).
    // A translation kept after IRE is cleared may name no vCPU (an EIME IRTE's 32-bit
    // destination 0x100 on the xAPIC topology), where the compatibility reading of the
    // message names one: missing-delivery (qemu-8.2; impl/mechanisms.test.ts).
    signatures: [
      "msi.fire/missing-fault",
      "msi.fire/missing-delivery",
      "msi.fire/misrouted-delivery",
      "msi.fire/wrong-vector",
      "msi.fire/lapic-state",
      "msi.mask/missing-fault",
      "line.pulse/missing-fault",
      "line.pulse/spurious-delivery",
      "line.set/wrong-vector",
      "line.pulse/wrong-vector",
      "line.set/misrouted-delivery",
      "line.pulse/misrouted-delivery",
      "line.set/missing-delivery",
      "line.pulse/missing-delivery",
    ],
    variants: QEMU,
    fixedBy: CACHES,
    fix: { add: ireIecNotify },
    mechanism: remappingSwitched,
    realSystem:
      "irqcheck real ire-without-notify --kvm nested --kernel 6.1|6.12: QEMU 7.2.22 and 10.0.2 keep the route built with remapping off after IRE is set (0x41 to APIC ID 0 instead of IRTE 0's 0x42 to APIC ID 1), as the variants say.",
  },
  {
    id: "D10b",
    title: "compatibility-format interrupts pass while IR is on with CFI clear or EIME set",
    explanation:
      "QEMU is wrong: vtd_interrupt_remap_msi copies compatibility-format requests through; VT-d blocks them with fault 0x25 unless GSTS.CFIS = 1 and EIME = 0, and QEMU does not implement CFI at all (semantics.md §4.2 step 4, D10b).",
    signatures: [
      "line.pulse/missing-fault",
      "line.set/missing-fault",
      "ioapic.write/missing-fault",
      "msi.mask/missing-fault",
      "msi.fire/missing-fault",
      "ioapic.eoi/missing-fault",
      "cpu.eoi/missing-fault",
      "line.pulse/fault-record-state",
      "line.set/fault-record-state",
      "line.pulse/spurious-delivery",
      "line.set/spurious-delivery",
      "msi.mask/spurious-delivery",
    ],
    variants: QEMU,
    fixedBy: CACHES,
    fix: { add: compatFormatVtd },
    mechanism: remappingOn,
    realSystem:
      "irqcheck real compat-blocked --kvm nested --kernel 6.1|6.12: QEMU 7.2.22 and 10.0.2 deliver a compatibility-format IOAPIC interrupt with remapping on and CFI clear, no fault 0x25, as the variants say.",
  },
  {
    id: "D2e",
    title: "switching an asserted level pin to edge delivers an edge",
    explanation:
      "QEMU is wrong: its irr bit still holds the asserted level; after ioapic_fix_edge_remote_irr, ioapic_service sees an edge pin with irr set and delivers, though the input did not transition (semantics.md D2, variant paragraph; 82093AA edge detection).",
    // with remapping on, the invented edge can show as a fault instead of a delivery
    signatures: signaturesOf(["ioapic.write"], ["spurious-delivery", "spurious-fault", "fault-record-state"]),
    variants: QEMU,
    fixedBy: CACHES,
    fix: { add: latchedInputs },
    mechanism: levelToEdgeWhileAsserted,
    realSystem:
      "irqcheck real level-to-edge --kvm nested --kernel 6.1|6.12: QEMU 7.2.22 and 10.0.2 deliver on the switch to edge, as the variants say.",
  },
  {
    id: "D18",
    title: "an input asserted while its pin is edge-triggered and masked is forgotten when the pin becomes level",
    explanation:
      "QEMU is wrong: ioapic_set_irq drops an assert on a masked edge pin without recording the line level, so a later switch to level-triggered does not deliver although the input is asserted (found by irqcheck; semantics.md §1.5-1.6: irr is the only input state).",
    // the forgotten assert also leaves Remote IRR clear, and with remapping on a missing fault
    signatures: signaturesOf(
      ["ioapic.write"],
      ["missing-delivery", "rte-state", "missing-fault", "fault-record-state"],
    ),
    variants: QEMU,
    fixedBy: CACHES,
    fix: { add: latchedInputs },
    mechanism: assertedWhileEdgeThenLevel,
    realSystem:
      "irqcheck real edge-to-level --kvm nested --kernel 6.1|6.12: QEMU 7.2.22 and 10.0.2 send nothing on the switch to level with the line high, as the variants say.",
  },
  {
    id: "D19",
    title: "an MSI-X vector outside the interrupt window is delivered through its irqfd route",
    explanation:
      "QEMU + KVM differ from the device's memory write: kvm_set_msi decodes any route, so a vector unmasked before it was programmed (address 0) delivers vector 0 to APIC ID 0, where the PCI write would have gone to memory (found by irqcheck; semantics.md §5.2). A guest bug to unmask such a vector, but a guest-visible difference.",
    signatures: ["msi.fire/spurious-delivery", "msi.mask/spurious-delivery"],
    variants: QEMU,
    fixedBy: CACHES,
    fix: { add: interruptWindowRoutes },
    mechanism: messageOutsideInterruptWindow,
    realSystem:
      "None here: only an MSI-X vector unmasked before it is programmed shows it, and the guest has no irqfd-backed MSI-X device (see D7).",
  },
  {
    id: "D11",
    title: "SVT = 10b bus range read inverted",
    explanation:
      "QEMU is wrong: vtd_irte_get takes the maximum bus from SID[15:8] and the minimum from SID[7:0], the reverse of VT-d and of Linux's set_irte_verify_bus, so a device inside the IRTE's range faults with 0x26 on the userspace path and its route fixup fails (semantics.md D11; hw/i386/intel_iommu.c vtd_irte_get).",
    // A failed fixup leaves the route's last translation (semantics.md §3.1), so a device
    // inside the range can also get the IRTE's previous vector or destination.
    signatures: signaturesOf(
      ["msi.fire", "msi.mask", "msi.program"],
      [
        "spurious-fault",
        "missing-delivery",
        "wrong-fault",
        "fault-record-state",
        "spurious-delivery",
        "missing-fault",
        "wrong-vector",
        "misrouted-delivery",
      ],
    ),
    variants: QEMU,
    fixedBy: CACHES,
    fix: { add: svtBusRangeVtd },
    mechanism: busRangeIrteInUse,
    realSystem:
      "None here: only a requester whose bus lies strictly inside an SVT = 10b range shows it; the IOAPIC's source ID is on bus 0 and the guest has no MSI-X device (see D7).",
  },
  {
    id: "D21",
    title: "no IR fault is recorded before QEMU 8.2",
    explanation:
      'QEMU is wrong before 8.2: a failed translation on the userspace path drops the interrupt without writing a fault recording register (semantics.md §4.4: QEMU 7.2 has none of it; added by "intel-iommu: Report interrupt remapping faults", v8.2.0).',
    // A message through an IRTE rewritten without an invalidation may also be delivered by
    // its stale form (the interrupt entry cache, semantics.md §4.5), so the dropped request
    // can be closest to that delivery.
    signatures: [
      ...signaturesOf(DELIVERING_OPS, ["missing-fault", "fault-record-state"]),
      ...signaturesOf(["msi.fire", "msi.mask", "msi.program"], ["missing-delivery"]),
    ],
    variants: ["qemu-7.2", "qemu-8.0", "route-masked"],
    fixedBy: ["qemu-8.2", "msi-direct", ...CACHES],
    fix: { revert: noIrFaultRecording },
    mechanism: remappingOn,
    realSystem:
      "With D3 in irqcheck real ir-invalid-irte --kvm nested on QEMU 7.2.22 (no fault record, as qemu-7.2 says); alone it needs a translation on the userspace path, which split-irqchip IOAPIC delivery never takes, and MSI-X (see D7) is not available to the guest here.",
  },
  {
    id: "D22",
    title: "a device re-asserting an asserted line is a new edge",
    explanation:
      "QEMU differs from the 82093AA: ioapic_set_irq keeps no input level apart from irr, so every assert of an edge-triggered pin while it is unmasked is latched and serviced, also when the line was already high; on the chip an input that does not transition is no edge (semantics.md §1.6, D15). Seen on real QEMU 7.2 and 10.0.2 over KVM 6.1 and 6.12 with pc-testdev's unfiltered writes (impl/real/EVIDENCE.md, M1; bench/RESULTS-real.md).",
    signatures: signaturesOf(
      ["line.set", "line.pulse"],
      ["spurious-delivery", "spurious-fault", "fault-record-state", "lapic-state", "rte-state"],
    ),
    variants: QEMU,
    fixedBy: CACHES,
    fix: { add: latchedInputs },
    mechanism: assertedLineReasserted,
    realSystem:
      "irqcheck real line-reassert --kvm nested --kernel 6.1|6.12: QEMU 7.2.22 and 10.0.2 deliver again on a re-assert (impl/real/EVIDENCE.md, M1).",
  },
  {
    id: "D17",
    title: "split-irqchip EOI forwarding ignores the TMR",
    explanation:
      "KVM differs from the SDM: in split mode an EOI exits to the IOAPIC iff the vector is in ioapic_handled_vectors (level routes' vectors, plus the pending clause), not iff the TMR bit is set; an edge interrupt ending on a vector that a level route also uses clears that pin's Remote IRR (semantics.md §5.4). No userspace design changes it; the generators keep vectors per trigger mode, and scenario tests show it.",
    signatures: ["cpu.eoi/rte-state"],
    variants: [...QEMU, ...CACHES],
    fixedBy: [],
    fix: { add: eoiExitByTmr },
    mechanism: edgeInterruptOnLevelVector,
    realSystem:
      "irqcheck real d17 --kvm nested --kernel 6.1|6.12 on QEMU 7.2.22 and 10.0.2: Remote IRR of the level pin cleared by the EOI of the edge interrupt.",
  },
  {
    id: "D8",
    title: "an EOI is not forwarded when the RTE's vector changed while the interrupt was in service",
    explanation:
      "KVM differs from the SDM: the split-irqchip EOI-exit bitmap holds the vectors of the current level routes of GSIs 0..23 (plus, with the pending-EOI clause, a route's vector while it is pending here); after the guest rewrites the RTE's vector while the old vector is still in service, no route carries the old vector, so its EOI is not forwarded and Remote IRR stays set, where the LAPIC (TMR set) would broadcast it (semantics.md §5.4, D8a). Linux EOIs before rewriting the vector (§6.3); the uniform profile reaches it about once in 40,000 runs. No userspace route policy closes it in every order: refreshing masked routes fixes this order and breaks the reverse one.",
    // With remapping on, the re-delivery the lost EOI prevents would have faulted instead.
    signatures: signaturesOf(["cpu.eoi"], ["rte-state", "missing-delivery", "missing-fault", "fault-record-state"]),
    variants: [...QEMU, ...CACHES],
    fixedBy: [],
    fix: { add: eoiExitByTmr },
    mechanism: levelVectorChangedInService,
    realSystem:
      "irqcheck real d8 --kvm nested --kernel 6.1|6.12 on QEMU 7.2.22 and 10.0.2: Remote IRR stays set after the EOI.",
  },
  {
    id: "D23",
    title: "KVM latches an illegal vector (0x00-0x0F) in IRR",
    explanation:
      "KVM differs from the SDM: a LAPIC rejects a vector below 0x10 (SDM vol. 3 §10.5.2, Received Illegal Vector in the ESR), KVM's __apic_accept_irq sets its IRR (and TMR) bit; apic_has_interrupt_for_ppr never dispatches it (class 0 is never above the processor priority), so the guest sees a pending bit that never clears, and a level pin with such a vector keeps Remote IRR set. Seen with irqcheck real vector-0 on QEMU 7.2 and 10.0.2 over KVM 6.1 and 6.12 nested, and on this host's KVM (impl/real/EVIDENCE.md, M3). Generators use such vectors rarely (properties/profiles/vectors.ts).",
    signatures: signaturesOf(DELIVERING_OPS, ["lapic-state"]),
    variants: [...QEMU, ...CACHES],
    fixedBy: [],
    fix: { add: rejectIllegalVectors },
    realSystem:
      "irqcheck real vector-0 --kvm nested --kernel 6.1|6.12 on QEMU 7.2.22 and 10.0.2, and on this host's KVM: IRR bit 0 set, never taken.",
  },
  {
    id: "D14",
    title: "KVM drops an ExtINT message that arrives through a route",
    explanation:
      "KVM differs from the IOAPIC and the SDM: an RTE, IRTE or MSI with delivery mode ExtINT (111b) sends the CPU an interrupt whose vector it fetches from the 8259 (82093AA §3.2.4; SDM vol. 3 §10.6.1). In split-irqchip mode the IOAPIC's message is delivered through its KVM MSI route, and kvm_irq_delivery_to_apic's __apic_accept_irq does nothing for APIC_DM_EXTINT (KVM takes ExtINT only from the PIC through LVT0, kvm_apic_accept_pic_intr), so the interrupt is lost (semantics.md D14). The reference has no 8259 and shows the ExtINT message's delivery, entering no IRR; QEMU's pic_read_irq on every route update with an ExtINT RTE (D14's other half) is not modelled. The uniform profile draws ExtINT about once in 180 delivery-mode fields.",
    signatures: signaturesOf(DELIVERING_OPS, ["missing-delivery"]),
    variants: [...QEMU, ...CACHES],
    fixedBy: [],
    fix: { add: extintThroughRoutes },
    mechanism: extintDelivered,
    realSystem:
      "None here: the real guest refuses delivery modes other than fixed and lowest priority (impl/real/encode.ts), as SMI, NMI, INIT and ExtINT would act on its vCPUs outside its control; the evidence is KVM's __apic_accept_irq (APIC_DM_EXTINT: nothing) and semantics.md D14.",
  },
  {
    id: "D20",
    title: "a lazily rebuilt IOAPIC route keeps KVM from forwarding the EOI of the vector in service",
    explanation:
      "The variant is wrong (found by a 1,000,000-run campaign on the first irqfd-cache design): KVM computes the split-irqchip EOI-exit bitmap from the routes of GSIs 0..23 (semantics.md §5.4); when an RTE write only detaches the pin's route, the route keeps the old vector until the pin's next interrupt, so an EOI of an interrupt in service under the RTE's current vector is not forwarded, Remote IRR stays set and the asserted line is never re-delivered. Rebuilding unmasked pins' routes on the RTE write (as 54ad31fb0a does) closes it.",
    signatures: ["cpu.eoi/missing-delivery", "cpu.eoi/rte-state"],
    variants: ["irqfd-cache-lazy"],
    fixedBy: ["irqfd-cache"],
    fix: { add: eagerIoapicRoutes },
    realSystem:
      "None: irqfd-cache-lazy is a proposed design, not a release; the fix (eager IOAPIC routes) is irqfd-cache.",
  },
  {
    id: "D9",
    title: "a masked RTE does not stop an INTx that KVM injects from an irqfd",
    explanation:
      "QEMU is wrong: in split-irqchip mode vfio_intx_enable_kvm binds an assigned device's INTx eventfd as an irqfd on the pin's GSI (kvm_irqchip_assign_irqfd keeps the resamplefd in kvm_resample_fd_list), so KVM injects whatever route that GSI holds, bypassing the IOAPIC; ioapic_update_kvm_routes skips masked pins but never withdraws their routes, so an assertion while the RTE is masked (from reset, or after disable_irq) is delivered through the route of the last unmasked state (or the reset route, vector 0 to APIC ID 0), and VFIO's host mask, lifted only by the resample of an EOI of the RTE's vector, then holds back the assertions that follow. The reference latches a masked level input and delivers it on unmask (semantics.md §3.6, D9, §1.6). The route cache's INTx helper unbinds the irqfd while the RTE is masked.",
    signatures: signaturesOf(INTX_OPS, INTX_DELIVERY_KINDS),
    variants: QEMU,
    fixedBy: CACHES,
    fix: { add: intxFollowsRteMask },
    realSystem:
      "None here: VFIO INTx needs a host PCI device bound to vfio-pci, and this machine has no /dev/vfio or IOMMU groups; QEMU's other irqfd users (virtio-pci, vhost, ivshmem) use irqfds for MSI/MSI-X only. A nested route (an emulated edu device bound to vfio-pci in the outer guest) is possible, not built.",
  },
  {
    id: "D9r",
    title: "an INTx that KVM injects from an irqfd leaves Remote IRR clear",
    explanation:
      "QEMU is wrong, and so is every design that lets KVM inject INTx from an irqfd without kernel help: in split-irqchip mode the injection never passes through the userspace IOAPIC (semantics.md §3.6, D9: its irr and Remote IRR are not updated; only the resample goes through userspace, KVM_EXIT_IOAPIC_EOI -> ioapic_eoi_broadcast -> kvm_resample_fd_notify), so from the injection to the EOI the guest reads Remote IRR clear where the 82093AA sets it (§1.7; Linux reads it in io_apic_level_ack_pending before moving a level IRQ, §6.3). The closest allowed outcome may differ in the delivery too, so it also shows as a delivery difference. Removed by handling INTx in userspace (x-no-kvm-intx), as irqfd-cache does; the route cache's INTx helper (irqfd-cache-lazy) removes D9 but not this.",
    // The closest allowed outcome (an IRTE changed without invalidation allows two) may be a fault.
    signatures: signaturesOf(INTX_OPS, [
      "rte-state",
      ...INTX_DELIVERY_KINDS,
      "missing-fault",
      "spurious-fault",
      "fault-record-state",
    ]),
    variants: [...QEMU, "irqfd-cache-lazy"],
    fixedBy: ["irqfd-cache"],
    fix: { add: noKvmIntx },
    realSystem: "None here: as D9 (no device to assign to the guest through VFIO on this machine).",
  },
];

export interface Verdict {
  readonly divergence: string;
  readonly variant: string;
  readonly profile: string;
  readonly property: "guest-visible" | "delivery-log";
  /** The campaign seed and the run budget within which it must be found. */
  readonly seed: number;
  readonly runs: number;
  /** The shrunk counterexample must be at most this long. */
  readonly maxLength: number;
  /** The signature it must show as. */
  readonly signature: string;
  /** The built-in topology it runs on (model/topology.ts); the default one when absent. */
  readonly topology?: string;
}

/** Each documented divergence, found within a stated budget and shrunk to a stated size. */
export const VERDICTS: readonly Verdict[] = [
  {
    divergence: "D1",
    variant: "qemu-7.2",
    profile: "linux",
    property: "delivery-log",
    seed: 1,
    runs: 2000,
    maxLength: 6,
    signature: "ioapic.write/misrouted-delivery",
  },
  {
    divergence: "D1",
    variant: "qemu-7.2",
    profile: "linux",
    property: "guest-visible",
    seed: 1,
    runs: 2000,
    maxLength: 6,
    signature: "ioapic.write/misrouted-delivery",
  },
  {
    divergence: "D2",
    variant: "route-masked",
    profile: "uniform",
    property: "delivery-log",
    seed: 1,
    runs: 4000,
    maxLength: 5,
    signature: "ioapic.write/wrong-vector",
  },
  {
    divergence: "D21",
    variant: "qemu-7.2",
    profile: "ir",
    property: "delivery-log",
    seed: 1,
    runs: 2000,
    maxLength: 8,
    signature: "msi.fire/missing-fault",
  },
  {
    divergence: "D21",
    variant: "qemu-8.0",
    profile: "ir",
    property: "delivery-log",
    seed: 1,
    runs: 2000,
    maxLength: 8,
    signature: "msi.fire/missing-fault",
  },
  {
    divergence: "D3",
    variant: "qemu-8.2",
    profile: "ir",
    property: "delivery-log",
    seed: 1,
    runs: 2000,
    maxLength: 8,
    signature: "msi.fire/missing-fault",
  },
  {
    divergence: "D7",
    variant: "qemu-8.2",
    profile: "devices",
    property: "delivery-log",
    seed: 1,
    runs: 2000,
    maxLength: 12,
    signature: "msi.fire/misrouted-delivery",
  },
  {
    divergence: "D10b",
    variant: "qemu-8.2",
    profile: "uniform",
    property: "delivery-log",
    seed: 1,
    runs: 500,
    maxLength: 3,
    signature: "line.pulse/missing-fault",
  },
  {
    // An IOAPIC route built with remapping off, pulsed after IRE is switched on.
    divergence: "D10a",
    variant: "qemu-8.2",
    profile: "uniform",
    property: "delivery-log",
    seed: 4,
    runs: 6000,
    maxLength: 5,
    signature: "line.pulse/wrong-vector",
  },
  {
    // A device inside an SVT = 10b bus range: the ir profile's source-ID checks.
    divergence: "D11",
    variant: "qemu-8.2",
    profile: "ir",
    property: "delivery-log",
    seed: 2,
    runs: 500,
    maxLength: 6,
    signature: "msi.fire/spurious-fault",
  },
  {
    // The small topology: the default one's INTx pins show D9 under the same signature.
    divergence: "D22",
    variant: "qemu-8.2",
    profile: "uniform",
    topology: "small",
    property: "delivery-log",
    seed: 1,
    runs: 500,
    maxLength: 3,
    signature: "line.set/spurious-delivery",
  },
  {
    divergence: "D23",
    variant: "qemu-8.2",
    profile: "uniform",
    property: "delivery-log",
    seed: 1,
    runs: 500,
    maxLength: 3,
    signature: "msi.fire/lapic-state",
  },
  {
    // An unmasked edge RTE with delivery mode ExtINT, raised: 2 commands.
    divergence: "D14",
    variant: "qemu-7.2",
    profile: "uniform",
    property: "delivery-log",
    seed: 1,
    runs: 1000,
    maxLength: 2,
    signature: "line.set/missing-delivery",
  },
  {
    divergence: "D14",
    variant: "irqfd-cache",
    profile: "uniform",
    property: "delivery-log",
    seed: 1,
    runs: 2500,
    maxLength: 3,
    signature: "msi.fire/missing-delivery",
  },
  {
    divergence: "D2e",
    variant: "qemu-8.0",
    profile: "uniform",
    property: "delivery-log",
    seed: 1,
    runs: 1000,
    maxLength: 3,
    signature: "ioapic.write/spurious-delivery",
  },
  {
    divergence: "D18",
    variant: "qemu-8.0",
    profile: "uniform",
    property: "delivery-log",
    seed: 1,
    runs: 500,
    maxLength: 2,
    signature: "ioapic.write/missing-delivery",
  },
  {
    divergence: "D19",
    variant: "qemu-8.0",
    profile: "uniform",
    property: "delivery-log",
    seed: 1,
    runs: 500,
    maxLength: 2,
    signature: "msi.fire/spurious-delivery",
  },
  {
    divergence: "D9",
    variant: "qemu-8.2",
    profile: "intx",
    topology: "intx",
    property: "delivery-log",
    seed: 1,
    runs: 20,
    maxLength: 1,
    signature: "line.set/spurious-delivery",
  },
  {
    divergence: "D9r",
    variant: "qemu-8.2",
    profile: "intx",
    topology: "intx",
    property: "guest-visible",
    seed: 1,
    runs: 20,
    maxLength: 2,
    signature: "line.set/rte-state",
  },
  {
    divergence: "D9r",
    variant: "irqfd-cache-lazy",
    profile: "intx",
    topology: "intx",
    property: "delivery-log",
    seed: 1,
    runs: 50,
    maxLength: 7,
    signature: "line.set/rte-state",
  },
];

/**
 * Variants expected to pass every property in every profile (within the suite's budget),
 * but for the kernel's own divergences (kernelDivergences).
 */
export const PASSING_VARIANTS: readonly string[] = ["irqfd-cache"];

/**
 * The known divergences of `variant` that no userspace design removes (no variant fixes
 * them: D8, D14, D17, D23 are KVM's); a passing variant may show these and nothing else.
 */
export function kernelDivergences(variant: string): string[] {
  return KNOWN_DIVERGENCES.filter((d) => d.variants.includes(variant) && d.fixedBy.length === 0).map((d) => d.id);
}
