#pragma once

#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "protocol/model_geometry.h"
#include "sessions/evaluation.h"
#include "sessions/expert_statistics.h"

namespace mote::sessions {

// One row of the expert table, ordered by descending resonance (rank 1 = most resonant).
struct ExpertTableRow {
  std::size_t rank = 0;
  int layer = 0;      // model layer index
  int moe_layer = 0;  // 0-based index among MoE layers
  int expert = 0;
  float resonance = 0, t = 0, p = 1, q = 1, stability = 0;
};

std::vector<ExpertTableRow> expert_table(const ExpertStatistics& stats,
                                         const ModelGeometry& geometry);
// Which end of a resonance ranking: kTop = most resonant first, kBottom = most negative first.
enum class RankingEnd { kTop, kBottom };
std::string to_string(RankingEnd end);  // "top" / "bottom"
// The addresses of a table from one end, e.g. for tuning_from_ranking or dose_curve_specs.
std::vector<ExpertAddress> ranking_addresses(const std::vector<ExpertTableRow>& table,
                                             RankingEnd end = RankingEnd::kTop);

// CSV columns: rank,layer,moe_layer,expert,resonance,t,p,q,stability (inf written as inf/-inf).
std::string expert_table_csv(const std::vector<ExpertTableRow>& table);
// JSON: list of objects with the same keys (non-finite t as null).
nlohmann::json expert_table_json(const std::vector<ExpertTableRow>& table);

// Writes resonance/t/p/q/stability as [n_moe_layers x n_experts] '<f4' .npy files named
// <prefix>_resonance.npy etc. into `directory`; returns the paths written.
std::vector<std::filesystem::path> write_statistics_npy(const ExpertStatistics& stats,
                                                        const ModelGeometry& geometry,
                                                        const std::filesystem::path& directory,
                                                        const std::string& prefix);

// t-SNE coordinates with labels: "index,x,y,label" + one column per metadata key given.
std::string tsne_csv(const std::vector<float>& coords_2d, const std::vector<std::string>& labels,
                     const std::vector<std::string>& extra_header = {},
                     const std::vector<std::vector<std::string>>& extra_columns = {});

void write_text_file(const std::filesystem::path& path, const std::string& text);

}  // namespace mote::sessions
