#pragma once
// Helpers shared by the engine tests: paths to test data, temp dirs, running the CLI.
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

namespace mote::test {

inline std::filesystem::path data_dir() {
  return MOTE_TEST_DATA_DIR;
}
inline std::filesystem::path v3_tiny_dir() {
  return data_dir() / "v3-tiny";
}
inline std::filesystem::path bin_dir() {
  return MOTE_BIN_DIR;
}

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "mote-test") {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            (tag + "-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Runs a shell command line, returns its exit status.
inline int run(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace mote::test
