#include "errno_names.h"

#include <string_view>

namespace hostprobe {
namespace {

// Linux generic errno values (include/uapi/asm-generic/errno{-base,}.h) as
// used on x86_64 and arm64, then include/linux/errno.h's kernel-internal codes.
// Aliases (EWOULDBLOCK=EAGAIN, EDEADLOCK=EDEADLK, ENOTSUP=EOPNOTSUPP) take the
// primary name.
constexpr std::string_view kNames[] = {
    "",             "EPERM",        "ENOENT",       "ESRCH",          "EINTR",
    "EIO",          "ENXIO",        "E2BIG",        "ENOEXEC",        "EBADF",
    "ECHILD",       "EAGAIN",       "ENOMEM",       "EACCES",         "EFAULT",
    "ENOTBLK",      "EBUSY",        "EEXIST",       "EXDEV",          "ENODEV",
    "ENOTDIR",      "EISDIR",       "EINVAL",       "ENFILE",         "EMFILE",
    "ENOTTY",       "ETXTBSY",      "EFBIG",        "ENOSPC",         "ESPIPE",
    "EROFS",        "EMLINK",       "EPIPE",        "EDOM",           "ERANGE",
    "EDEADLK",      "ENAMETOOLONG", "ENOLCK",       "ENOSYS",         "ENOTEMPTY",
    "ELOOP",        "",             "ENOMSG",       "EIDRM",          "ECHRNG",
    "EL2NSYNC",     "EL3HLT",       "EL3RST",       "ELNRNG",         "EUNATCH",
    "ENOCSI",       "EL2HLT",       "EBADE",        "EBADR",          "EXFULL",
    "ENOANO",       "EBADRQC",      "EBADSLT",      "",               "EBFONT",
    "ENOSTR",       "ENODATA",      "ETIME",        "ENOSR",          "ENONET",
    "ENOPKG",       "EREMOTE",      "ENOLINK",      "EADV",           "ESRMNT",
    "ECOMM",        "EPROTO",       "EMULTIHOP",    "EDOTDOT",        "EBADMSG",
    "EOVERFLOW",    "ENOTUNIQ",     "EBADFD",       "EREMCHG",        "ELIBACC",
    "ELIBBAD",      "ELIBSCN",      "ELIBMAX",      "ELIBEXEC",       "EILSEQ",
    "ERESTART",     "ESTRPIPE",     "EUSERS",       "ENOTSOCK",       "EDESTADDRREQ",
    "EMSGSIZE",     "EPROTOTYPE",   "ENOPROTOOPT",  "EPROTONOSUPPORT", "ESOCKTNOSUPPORT",
    "EOPNOTSUPP",   "EPFNOSUPPORT", "EAFNOSUPPORT", "EADDRINUSE",     "EADDRNOTAVAIL",
    "ENETDOWN",     "ENETUNREACH",  "ENETRESET",    "ECONNABORTED",   "ECONNRESET",
    "ENOBUFS",      "EISCONN",      "ENOTCONN",     "ESHUTDOWN",      "ETOOMANYREFS",
    "ETIMEDOUT",    "ECONNREFUSED", "EHOSTDOWN",    "EHOSTUNREACH",   "EALREADY",
    "EINPROGRESS",  "ESTALE",       "EUCLEAN",      "ENOTNAM",        "ENAVAIL",
    "EISNAM",       "EREMOTEIO",    "EDQUOT",       "ENOMEDIUM",      "EMEDIUMTYPE",
    "ECANCELED",    "ENOKEY",       "EKEYEXPIRED",  "EKEYREVOKED",    "EKEYREJECTED",
    "EOWNERDEAD",   "ENOTRECOVERABLE", "ERFKILL",   "EHWPOISON",
};

// include/linux/errno.h: never meant for userspace, but visible at sys_exit.
constexpr uint32_t kKernelBase = 512;
constexpr std::string_view kKernelNames[] = {
    "ERESTARTSYS",  "ERESTARTNOINTR", "ERESTARTNOHAND", "ENOIOCTLCMD",   "ERESTART_RESTARTBLOCK",
    "EPROBE_DEFER", "EOPENSTALE",     "ENOPARAM",       "",              "EBADHANDLE",
    "ENOTSYNC",     "EBADCOOKIE",     "ENOTSUPP",       "ETOOSMALL",     "ESERVERFAULT",
    "EBADTYPE",     "EJUKEBOX",       "EIOCBQUEUED",    "ERECALLCONFLICT", "ENOGRACE",
};

}  // namespace

std::string ErrnoName(uint32_t err) {
  constexpr size_t kCount = sizeof(kNames) / sizeof(kNames[0]);
  constexpr size_t kKernelCount = sizeof(kKernelNames) / sizeof(kKernelNames[0]);
  if (err < kCount && !kNames[err].empty()) return std::string(kNames[err]);
  if (err >= kKernelBase && err - kKernelBase < kKernelCount && !kKernelNames[err - kKernelBase].empty())
    return std::string(kKernelNames[err - kKernelBase]);
  return "errno_" + std::to_string(err);
}

}  // namespace hostprobe
