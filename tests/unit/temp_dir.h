// A scratch directory for one test, removed (recursively) when it goes out of
// scope.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace hostprobe::test_util {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = ::testing::TempDir() + "hostprobe_unit_XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp(" << tmpl << ") failed";
      return;
    }
    path_ = tmpl;
  }
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

  // `rel` is "/a/b"; parents must exist.
  std::string Mkdir(const std::string& rel) const {
    std::string full = path_ + rel;
    EXPECT_EQ(mkdir(full.c_str(), 0755), 0) << full;
    return full;
  }

 private:
  std::string path_;
};

inline uint64_t InodeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

}  // namespace hostprobe::test_util
