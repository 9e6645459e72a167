#!/usr/bin/env python3
"""Regenerates userspace/core/syscall_table_data.inc from the kernel UAPI headers
installed by Debian's linux-libc-dev (x86_64, i386 for the 32-bit compat calls
of x86_64, and the generic table arm64 uses), plus the syscalls added by kernels
newer than those headers (EXTRA below).

Run after upgrading linux-libc-dev or when a kernel adds syscalls:
    scripts/gen-syscall-tables.py > userspace/core/syscall_table_data.inc
"""
import re
import subprocess

# Added after Linux 6.1 (the headers Debian 12 ships). Numbers >= 424 are shared
# by every architecture's table; uretprobe is x86_64 only.
EXTRA_COMMON = {
    451: "cachestat", 452: "fchmodat2", 453: "map_shadow_stack", 454: "futex_wake",
    455: "futex_wait", 456: "futex_requeue", 457: "statmount", 458: "listmount",
    459: "lsm_get_self_attr", 460: "lsm_set_self_attr", 461: "lsm_list_modules",
    462: "mseal", 463: "setxattrat", 464: "getxattrat", 465: "listxattrat",
    466: "removexattrat", 467: "open_tree_attr", 468: "file_getattr", 469: "file_setattr",
}
EXTRA_X86_64 = {335: "uretprobe"}


def macros(header, defines=()):
    args = ["cpp", "-dM"] + [f"-D{d}" for d in defines]
    out = subprocess.run(args, input=f"#include <{header}>\n", capture_output=True,
                         text=True, check=True).stdout
    found = {}
    for m in re.finditer(r"^#define (__NR3264_\w+|__NR_\w+) (\S+)$", out, re.M):
        found[m.group(1)] = m.group(2)
    return found


def resolve(found):
    table = {}
    for name, value in found.items():
        if not name.startswith("__NR_") or name == "__NR_syscalls":
            continue
        while value in found:
            value = found[value]
        if value.isdigit():
            table[int(value)] = name[len("__NR_"):]
    return table


x86 = resolve(macros("asm/unistd_64.h"))
x86.update(EXTRA_X86_64)
x86.update(EXTRA_COMMON)
# The numbers of x86_64's 32-bit compat entry (int $0x80, sysenter, 32-bit
# binaries): arch/x86/entry/syscalls/syscall_32.tbl, as asm/unistd_32.h.
i386 = resolve(macros("asm/unistd_32.h"))
i386.update(EXTRA_COMMON)
arm64 = resolve(macros("asm-generic/unistd.h", [
    "__BITS_PER_LONG=64", "__ARCH_WANT_RENAMEAT", "__ARCH_WANT_NEW_STAT",
    "__ARCH_WANT_SET_GET_RLIMIT", "__ARCH_WANT_SYS_CLONE3", "__ARCH_WANT_MEMFD_SECRET"]))
arm64.update(EXTRA_COMMON)

print("// Syscall number to name tables. Produced by scripts/gen-syscall-tables.py")
print("// from the kernel UAPI headers; edit the script, not this file.")
for arch, table in (("X86_64", x86), ("I386", i386), ("ARM64", arm64)):
    print(f"#define HP_SYSCALLS_{arch}(X) \\")
    print(" \\\n".join(f'  X({nr}, "{name}")' for nr, name in sorted(table.items())))
    print()
