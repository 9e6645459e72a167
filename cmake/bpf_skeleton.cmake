# bpf_skeleton(<name> SOURCE <file.bpf.c> [HEADERS <h>...])
#
# Compiles <file.bpf.c> with clang -target bpf into ${HOSTPROBE_BPF_OUT}/<name>.bpf.o
# and generates ${HOSTPROBE_BPF_OUT}/<name>.skel.h with bpftool. Every shared
# header is a dependency, so editing one rebuilds the object and the skeleton.
# Adds an INTERFACE library <name>_skel whose include path holds the skeleton.

find_program(BPF_CLANG NAMES clang clang-16 clang-15 clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)

set(HOSTPROBE_BPF_OUT ${CMAKE_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${HOSTPROBE_BPF_OUT})

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(HOSTPROBE_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(HOSTPROBE_BPF_ARCH arm64)
else()
  message(FATAL_ERROR "unsupported architecture ${CMAKE_SYSTEM_PROCESSOR}")
endif()

# vmlinux.h: kernel type definitions for CO-RE. By default dumped from the
# build machine's BTF; CO-RE relocations make the objects load on any kernel
# with BTF that has the fields used. Override with -DHOSTPROBE_VMLINUX_H=<file>
# (a header you keep) or -DHOSTPROBE_VMLINUX_BTF=<file> (another BTF blob).
set(HOSTPROBE_VMLINUX_BTF /sys/kernel/btf/vmlinux CACHE FILEPATH "BTF blob vmlinux.h is dumped from")
set(HOSTPROBE_VMLINUX_H "" CACHE FILEPATH "ready-made vmlinux.h (skips the BTF dump)")
set(HOSTPROBE_VMLINUX_OUT ${HOSTPROBE_BPF_OUT}/vmlinux.h)
if(HOSTPROBE_VMLINUX_H)
  add_custom_command(OUTPUT ${HOSTPROBE_VMLINUX_OUT}
    COMMAND ${CMAKE_COMMAND} -E copy ${HOSTPROBE_VMLINUX_H} ${HOSTPROBE_VMLINUX_OUT}
    DEPENDS ${HOSTPROBE_VMLINUX_H}
    COMMENT "vmlinux.h from ${HOSTPROBE_VMLINUX_H}")
else()
  if(NOT EXISTS ${HOSTPROBE_VMLINUX_BTF})
    message(FATAL_ERROR "no kernel BTF at ${HOSTPROBE_VMLINUX_BTF}: build on a kernel with "
                        "CONFIG_DEBUG_INFO_BTF=y or pass -DHOSTPROBE_VMLINUX_H=<vmlinux.h>")
  endif()
  add_custom_command(OUTPUT ${HOSTPROBE_VMLINUX_OUT}
    COMMAND ${BPFTOOL} btf dump file ${HOSTPROBE_VMLINUX_BTF} format c > ${HOSTPROBE_VMLINUX_OUT}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${HOSTPROBE_VMLINUX_OUT}.tmp ${HOSTPROBE_VMLINUX_OUT}
    COMMENT "vmlinux.h from ${HOSTPROBE_VMLINUX_BTF}")
endif()
add_custom_target(vmlinux_h DEPENDS ${HOSTPROBE_VMLINUX_OUT})

function(bpf_skeleton name)
  cmake_parse_arguments(ARG "" "SOURCE" "HEADERS" ${ARGN})
  get_filename_component(src ${ARG_SOURCE} ABSOLUTE)
  get_filename_component(src_dir ${src} DIRECTORY)
  set(obj ${HOSTPROBE_BPF_OUT}/${name}.bpf.o)
  set(skel ${HOSTPROBE_BPF_OUT}/${name}.skel.h)
  set(headers)
  foreach(h ${ARG_HEADERS})
    get_filename_component(abs ${h} ABSOLUTE)
    list(APPEND headers ${abs})
  endforeach()

  add_custom_command(OUTPUT ${obj}
    COMMAND ${BPF_CLANG} -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_${HOSTPROBE_BPF_ARCH}
            -I${HOSTPROBE_BPF_OUT} -I${src_dir} -I${PROJECT_SOURCE_DIR}/bpf
            -idirafter /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}
            -c ${src} -o ${obj}.tmp
    # bpftool gen object strips DWARF and links, as libbpf-bootstrap does.
    COMMAND ${BPFTOOL} gen object ${obj} ${obj}.tmp
    COMMAND ${CMAKE_COMMAND} -E remove ${obj}.tmp
    DEPENDS ${src} ${headers} ${HOSTPROBE_VMLINUX_OUT}
    COMMENT "BPF ${name}.bpf.o"
    VERBATIM)
  add_custom_command(OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name}_bpf > ${skel}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
    DEPENDS ${obj}
    COMMENT "skeleton ${name}.skel.h")
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  # Every skeleton target lists vmlinux.h among its inputs; without a common target that makes
  # it first, parallel makes run the BTF dump once per target and race on its rename.
  add_dependencies(${name}_skel_gen vmlinux_h)
  add_library(${name}_skel INTERFACE)
  target_include_directories(${name}_skel INTERFACE ${HOSTPROBE_BPF_OUT})
  add_dependencies(${name}_skel ${name}_skel_gen)
endfunction()
