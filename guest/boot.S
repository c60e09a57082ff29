/* irqcheck guest entry: multiboot v1 header, flat GDT, 256 interrupt stubs, AP trampoline.
.section .note.GNU-stack, "", @progbits
 * Interrupt handlers return with `popfl; ret` instead of iret (iret with paging off stops
 * the nested kvm_pvm guest, shared/docs/real-qemu.md) and clear IF in the saved EFLAGS,
 * so exactly one interrupt is taken per accept window (see guest/README.md). */

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* page-align modules, provide memory info */

.section .multiboot, "a"
.align 4
.long MB_MAGIC
.long MB_FLAGS
.long -(MB_MAGIC + MB_FLAGS)

.section .text
.code32
.globl _start
_start:
  cli
  lgdt gdt_desc
  ljmp $0x08, $1f
1:
  movw $0x10, %cx
  movw %cx, %ds
  movw %cx, %es
  movw %cx, %ss
  movw %cx, %fs
  movw %cx, %gs
  movl $bsp_stack_top, %esp
  pushl %ebx /* multiboot info */
  pushl %eax /* multiboot magic */
  call idt_init
  lidt idt_desc
  call bsp_main
2:
  hlt
  jmp 2b

/* Common interrupt path: stack holds vector, EIP, CS, EFLAGS. */
isr_common:
  pusha
  pushl 32(%esp)
  call isr_dispatch
  addl $4, %esp
  andl $~0x200, 44(%esp) /* return with IF=0 */
  popa
  addl $4, %esp /* drop the vector: EIP, CS, EFLAGS */
  pushl %eax
  movl 4(%esp), %eax
  xchgl 12(%esp), %eax
  movl %eax, 8(%esp)
  popl %eax /* now: EIP(stale), EFLAGS, EIP */
  addl $4, %esp
  popfl
  ret

/* Stub i sits at isr_stubs + 16*i. */
.align 16
.globl isr_stubs
isr_stubs:
.set vec, 0
.rept 256
  .align 16
  pushl $vec
  jmp isr_common
  .set vec, vec + 1
.endr

/* Application processor: the SIPI vector 0x08 starts it in real mode at 0x8000, where
 * bsp_main copied [ap_tramp_start, ap_tramp_end). */
.code16
.globl ap_tramp_start, ap_tramp_end
ap_tramp_start:
  cli
  xorw %ax, %ax
  movw %ax, %ds
  lgdtl 0x8000 + (ap_gdt_desc - ap_tramp_start)
  movl %cr0, %eax
  orl $1, %eax
  movl %eax, %cr0
  ljmpl $0x08, $ap_entry32
.align 8
ap_gdt_desc:
  .word gdt_end - gdt - 1
  .long gdt
ap_tramp_end:

.code32
ap_entry32:
  movw $0x10, %cx
  movw %cx, %ds
  movw %cx, %es
  movw %cx, %ss
  movw %cx, %fs
  movw %cx, %gs
  movl $ap_stack_top, %esp
  lidt idt_desc
  call ap_main
3:
  hlt
  jmp 3b

.section .data
.align 16
gdt:
  .quad 0
  .quad 0x00CF9A000000FFFF /* 0x08: flat 32-bit code */
  .quad 0x00CF92000000FFFF /* 0x10: flat data */
gdt_end:
gdt_desc:
  .word gdt_end - gdt - 1
  .long gdt
.globl idt_desc
idt_desc:
  .word 256 * 8 - 1
  .long idt

.section .bss
.align 16
.globl idt
idt:
  .skip 256 * 8
  .skip 16384
bsp_stack_top:
  .skip 16384
ap_stack_top:
