#include "sessions/result_export.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "protocol/npy.h"
#include "sessions/csv_writer.h"
#include "sessions/resonance.h"
#include "sessions/session_error.h"

namespace mote::sessions {

std::vector<ExpertTableRow> expert_table(const ExpertStatistics& stats,
                                         const ModelGeometry& geometry) {
  const std::size_t n = geometry.n_cells();
  if (stats.resonance.size() != n || stats.t.size() != n || stats.p.size() != n ||
      stats.q.size() != n || stats.stability.size() != n) {
    throw SessionError("expert statistics have " + std::to_string(stats.resonance.size()) +
                       " cells, the model geometry " + std::to_string(n));
  }
  std::vector<ExpertTableRow> table;
  table.reserve(n);
  const auto order = rank_descending(stats.resonance);
  for (std::size_t r = 0; r < n; ++r) {
    const std::size_t c = order[r];
    const auto address = geometry.address_of(c);
    table.push_back({r + 1, address.layer, static_cast<int>(c / geometry.n_experts), address.expert,
                     stats.resonance[c], stats.t[c], stats.p[c], stats.q[c], stats.stability[c]});
  }
  return table;
}

std::string to_string(RankingEnd end) {
  return end == RankingEnd::kTop ? "top" : "bottom";
}

std::vector<ExpertAddress> ranking_addresses(const std::vector<ExpertTableRow>& table,
                                             RankingEnd end) {
  std::vector<ExpertAddress> addresses;
  addresses.reserve(table.size());
  for (const auto& row : table) addresses.push_back({row.layer, row.expert});
  if (end == RankingEnd::kBottom) std::reverse(addresses.begin(), addresses.end());
  return addresses;
}

namespace {
std::string number(float v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream out;
  out.precision(9);
  out << v;
  return out.str();
}
nlohmann::json json_number(float v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}
}  // namespace

std::string expert_table_csv(const std::vector<ExpertTableRow>& table) {
  std::string out = "rank,layer,moe_layer,expert,resonance,t,p,q,stability\n";
  for (const auto& r : table) {
    out += std::to_string(r.rank) + ',' + std::to_string(r.layer) + ',' +
           std::to_string(r.moe_layer) + ',' + std::to_string(r.expert) + ',' +
           number(r.resonance) + ',' + number(r.t) + ',' + number(r.p) + ',' + number(r.q) + ',' +
           number(r.stability) + '\n';
  }
  return out;
}

nlohmann::json expert_table_json(const std::vector<ExpertTableRow>& table) {
  auto json = nlohmann::json::array();
  for (const auto& r : table) {
    json.push_back({{"rank", r.rank},
                    {"layer", r.layer},
                    {"moe_layer", r.moe_layer},
                    {"expert", r.expert},
                    {"resonance", json_number(r.resonance)},
                    {"t", json_number(r.t)},
                    {"p", json_number(r.p)},
                    {"q", json_number(r.q)},
                    {"stability", json_number(r.stability)}});
  }
  return json;
}

std::vector<std::filesystem::path> write_statistics_npy(const ExpertStatistics& stats,
                                                        const ModelGeometry& geometry,
                                                        const std::filesystem::path& directory,
                                                        const std::string& prefix) {
  const std::vector<std::size_t> shape{geometry.n_moe_layers(),
                                       static_cast<std::size_t>(geometry.n_experts)};
  std::vector<std::filesystem::path> written;
  const std::pair<const char*, const std::vector<float>*> arrays[] = {
      {"resonance", &stats.resonance},
      {"t", &stats.t},
      {"p", &stats.p},
      {"q", &stats.q},
      {"stability", &stats.stability}};
  for (const auto& [name, values] : arrays) {
    if (values->size() != geometry.n_cells()) {
      throw SessionError(std::string("statistics array \"") + name +
                         "\" does not match the model geometry");
    }
    const auto path = directory / (prefix + "_" + name + ".npy");
    write_npy(path, values->data(), shape);
    written.push_back(path);
  }
  return written;
}

std::string tsne_csv(const std::vector<float>& coords_2d, const std::vector<std::string>& labels,
                     const std::vector<std::string>& extra_header,
                     const std::vector<std::vector<std::string>>& extra_columns) {
  const std::size_t n = labels.size();
  if (coords_2d.size() != 2 * n)
    throw SessionError("t-SNE CSV: coordinates do not match the labels");
  if (extra_header.size() != extra_columns.size())
    throw SessionError("t-SNE CSV: header/column count mismatch");
  for (const auto& column : extra_columns) {
    if (column.size() != n) throw SessionError("t-SNE CSV: a metadata column has the wrong length");
  }
  std::string out = "index,x,y,label";
  for (const auto& h : extra_header) out += "," + csv_escape(h);
  out += '\n';
  for (std::size_t i = 0; i < n; ++i) {
    out += std::to_string(i) + ',' + number(coords_2d[2 * i]) + ',' + number(coords_2d[2 * i + 1]) +
           ',' + csv_escape(labels[i]);
    for (const auto& column : extra_columns) out += "," + csv_escape(column[i]);
    out += '\n';
  }
  return out;
}

void write_text_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) throw SessionError("cannot write " + path.string());
  file << text;
  if (!file) throw SessionError("error writing " + path.string());
}

}  // namespace mote::sessions
