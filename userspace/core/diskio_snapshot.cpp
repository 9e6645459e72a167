#include "core/diskio_snapshot.h"

namespace hostprobe {

const char* DiskOpName(uint32_t op) {
  switch (op) {
    case HP_DISK_OP_READ:
      return "read";
    case HP_DISK_OP_WRITE:
      return "write";
    case HP_DISK_OP_DISCARD:
      return "discard";
    case HP_DISK_OP_FLUSH:
      return "flush";
    default:
      return "other";
  }
}

}  // namespace hostprobe
