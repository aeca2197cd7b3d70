// mote-engine bench --batch: a real run on a tiny synthetic model prints the batched-decode lines
// with self-consistent numbers, keeps bandwidth_ratio last (../shared/refbench/compare.sh reads
// it), and refuses a bad --batch before doing any work.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "test_support.h"

namespace {

struct Run {
  int status = 0;
  std::string out;
};

Run bench(const mote::test::TempDir& dir, const std::string& args) {
  const std::string command = (mote::test::bin_dir() / "mote-engine").string() + " bench --dir " +
                              dir.path().string() + " " + args + " > " +
                              (dir / "out.txt").string() + " 2>&1";
  Run r;
  r.status = std::system(command.c_str());
  std::ifstream in(dir / "out.txt");
  std::stringstream text;
  text << in.rdbuf();
  r.out = text.str();
  return r;
}

// "key: value ..." lines -> value (first number after the colon).
std::map<std::string, double> numbers(const std::string& out) {
  std::map<std::string, double> values;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    const auto colon = line.find(": ");
    if (colon == std::string::npos) continue;
    try {
      values[line.substr(0, colon)] = std::stod(line.substr(colon + 2));
    } catch (const std::exception&) {
    }
  }
  return values;
}

}  // namespace

TEST_CASE("bench --batch reports the batch's speedup against its bound", "[bench]") {
  mote::test::TempDir dir("mote-bench-test");
  const Run r = bench(dir,
                      "--layers 2 --hidden 64 --experts 8 --top-k 2 --moe-intermediate 32 "
                      "--shared 1 --decode 4 --rounds 1 --prefill 8 --threads 1 --batch 4");
  INFO(r.out);
  REQUIRE(r.status == 0);
  const auto v = numbers(r.out);
  for (const char* key : {"batch 4 decode", "batch_bound", "batch_speedup", "bound_speedup",
                          "batch_bound_ratio", "bandwidth_ratio", "decode", "prefill"})
    CHECK(v.count(key) == 1);
  CHECK(v.at("batch_speedup") > 0);
  // Four tokens choose 2 experts each: the union per layer is between 2 and min(8, 4 * 2).
  const auto reads = r.out.find("batch 4 reads ");
  REQUIRE(reads != std::string::npos);
  const double experts = std::stod(r.out.substr(reads + 14));
  CHECK(experts >= 2);
  CHECK(experts <= 8);
  // Fewer distinct experts than 4 x 2 per step: the bound speeds up, by at most the batch size.
  CHECK(v.at("bound_speedup") > 1);
  CHECK(v.at("bound_speedup") <= 4.0 + 1e-9);
  CHECK(r.out.substr(r.out.rfind("\n", r.out.size() - 2) + 1).rfind("bandwidth_ratio: ", 0) == 0);
}

TEST_CASE("bench refuses a batch size out of range before building anything", "[bench]") {
  mote::test::TempDir dir("mote-bench-test");
  const Run r = bench(dir, "--batch 0");
  CHECK(WEXITSTATUS(r.status) == 2);
  CHECK_THAT(r.out, Catch::Contains("--batch must be in [1, 256], got 0"));
  CHECK_THAT(r.out, !Catch::Contains("synthetic checkpoint written"));
}
