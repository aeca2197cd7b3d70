#include "protocol/resources_dir.h"

#include <cstdlib>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "protocol/error.h"

namespace mote {
namespace fs = std::filesystem;

namespace {

std::optional<fs::path> executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  return exe.parent_path();
}

bool looks_like_resources(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir / "datasets", ec) || fs::is_directory(dir / "classifiers", ec);
}

std::vector<fs::path> candidates() {
  std::vector<fs::path> list;
  if (const char* env = std::getenv("MOTE_RESOURCES_DIR"); env && *env) list.emplace_back(env);
  if (auto dir = executable_dir()) {
    list.push_back(*dir / ".." / "share" / "mote" / "resources");
    list.push_back(*dir / ".." / "resources");
    list.push_back(*dir / ".." / ".." / "resources");
  }
#ifdef MOTE_SOURCE_RESOURCES_DIR
  list.emplace_back(MOTE_SOURCE_RESOURCES_DIR);
#endif
  return list;
}

}  // namespace

fs::path find_resources_dir() {
  const std::vector<fs::path> list = candidates();
  for (const fs::path& dir : list) {
    if (looks_like_resources(dir)) return fs::weakly_canonical(dir);
  }
  std::string searched;
  for (const fs::path& dir : list) searched += (searched.empty() ? "" : ", ") + dir.string();
  throw Error("cannot find the MoTE resources folder (searched " + searched +
              "); set MOTE_RESOURCES_DIR");
}

}  // namespace mote
