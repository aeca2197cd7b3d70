#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>

#include "protocol/npy.h"
#include "protocol/tuning_spec.h"
#include "sessions/result_export.h"
#include "sessions/session_error.h"
#include "sessions/tsne.h"

using namespace mote;
using namespace mote::sessions;

TEST_CASE("t-SNE keeps 5 Gaussian clusters in 50-D trustworthy", "[tsne]") {
  const std::size_t n = 200, dim = 50, clusters = 5;
  std::mt19937 rng(11);
  std::normal_distribution<float> centre(0.0f, 5.0f), noise(0.0f, 1.0f);
  std::vector<std::vector<float>> centres(clusters, std::vector<float>(dim));
  for (auto& c : centres)
    for (auto& v : c) v = centre(rng);
  std::vector<float> data(n * dim);
  std::vector<std::string> labels(n);
  for (std::size_t i = 0; i < n; ++i) {
    labels[i] = "c" + std::to_string(i % clusters);
    for (std::size_t d = 0; d < dim; ++d) data[i * dim + d] = centres[i % clusters][d] + noise(rng);
  }
  TsneOptions options;
  options.seed = 5;
  const auto y = tsne_2d(data, n, dim, options);
  REQUIRE(y.size() == n * 2);
  const double t = trustworthiness(data, dim, y, 2, n, 10);
  INFO("trustworthiness " << t);
  REQUIRE(t >= 0.9);
  // Deterministic for a seed.
  options.iterations = 50;
  REQUIRE(tsne_2d(data, n, dim, options) == tsne_2d(data, n, dim, options));
  // Written with labels.
  const auto csv =
      tsne_csv(y, labels, {"place"}, {std::vector<std::string>(n, "in Paris, France")});
  REQUIRE(csv.rfind("index,x,y,label,place\n0,", 0) == 0);
  REQUIRE(csv.find(",c0,\"in Paris, France\"\n") != std::string::npos);
}

TEST_CASE("trustworthiness sanity and t-SNE errors", "[tsne]") {
  std::vector<float> line(20);
  for (std::size_t i = 0; i < 20; ++i) line[i] = static_cast<float>(i * i);
  REQUIRE(trustworthiness(line, 1, line, 1, 20, 3) == Approx(1.0));
  std::vector<float> reversed_pairs(20);
  for (std::size_t i = 0; i < 20; ++i) reversed_pairs[i] = static_cast<float>((i * 7) % 20);
  REQUIRE(trustworthiness(line, 1, reversed_pairs, 1, 20, 3) < 0.9);
  REQUIRE_THROWS_WITH(tsne_2d({1.0f}, 1, 1, {}), Catch::Contains("at least 2 points"));
  REQUIRE_THROWS_WITH(tsne_2d({1.0f, 2.0f}, 2, 2, {}), Catch::Contains("expected 2 x 2"));
  REQUIRE_THROWS_AS(trustworthiness(line, 1, line, 1, 20, 10), SessionError);
  // Identical points: no NaN.
  const auto same = tsne_2d(std::vector<float>(10 * 3, 1.0f), 10, 3, {});
  for (float v : same) REQUIRE(std::isfinite(v));
}

TEST_CASE("expert table, CSV/JSON/npy exports and tuning JSON", "[export]") {
  const ModelGeometry g{{3, 5}, 3, 1};
  ExpertStatistics s;
  s.resonance = {0.1f, 0.9f, -0.5f, 0.3f, 0.0f, 0.2f};
  s.t = {1, 9, -5, 3, 0, std::numeric_limits<float>::infinity()};
  s.p = {0.5f, 0.01f, 0.02f, 0.2f, 1, 0.3f};
  s.q = s.p;
  s.stability = {0, 1, 0, 0.5f, 0, 0.25f};
  const auto table = expert_table(s, g);
  REQUIRE(table.size() == 6);
  REQUIRE(table[0].layer == 3);
  REQUIRE(table[0].expert == 1);
  REQUIRE(table[0].moe_layer == 0);
  REQUIRE(table[1].layer == 5);  // cell 3 = (moe_layer 1, expert 0)
  REQUIRE(table[1].moe_layer == 1);
  REQUIRE(table[1].expert == 0);
  REQUIRE(table.back().resonance == -0.5f);  // bottom end
  const auto csv = expert_table_csv(table);
  REQUIRE(csv.rfind("rank,layer,moe_layer,expert,resonance,t,p,q,stability\n1,3,0,1,0.899999976,9,"
                    "0.00999999978,",
                    0) == 0);
  REQUIRE(csv.find(",inf,") != std::string::npos);
  const auto json = expert_table_json(table);
  REQUIRE(json[0].at("layer") == 3);
  REQUIRE(json[2].at("t").is_null());  // cell 5, t = inf
  const auto spec = tuning_from_ranking(ranking_addresses(table), 2, TuningDirection::kSuppress);
  REQUIRE(TuningSpec::parse(spec.to_json().dump()).suppress ==
          std::vector<ExpertAddress>{{3, 1}, {5, 0}});
  REQUIRE_NOTHROW(spec.validate(g));
  REQUIRE(ranking_addresses(table, RankingEnd::kBottom).front() ==
          ExpertAddress{3, 2});  // resonance -0.5

  const auto dir =
      std::filesystem::temp_directory_path() / ("mote_test_export_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto paths = write_statistics_npy(s, g, dir, "refused");
  REQUIRE(paths.size() == 5);
  std::vector<std::size_t> shape;
  REQUIRE(read_npy(dir / "refused_resonance.npy", shape) == s.resonance);
  REQUIRE(shape == std::vector<std::size_t>{2, 3});
  std::filesystem::remove_all(dir);
  s.p.pop_back();
  REQUIRE_THROWS_WITH(expert_table(s, g), Catch::Contains("model geometry"));
}
