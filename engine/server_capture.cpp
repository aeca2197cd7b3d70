#include "engine/server_capture.h"

#include <cmath>

namespace mote::server {

double round_significant(double v, int digits) {
  if (v == 0 || !std::isfinite(v)) return v;
  const double scale =
      std::pow(10.0, digits - 1 - static_cast<int>(std::floor(std::log10(std::fabs(v)))));
  return std::round(v * scale) / scale;
}

nlohmann::json routing_rows(const RoutingTrace& trace, int64_t position, int64_t n_prompt,
                            const std::vector<int64_t>& tokens, Capture mode, bool before) {
  nlohmann::json rows = nlohmann::json::array();
  if (!trace.defined() || mode == Capture::None) return rows;
  // [n_moe, N, k] -> [N, n_moe, k]: one contiguous n_moe*k run per token.
  const at::Tensor ids = trace.ids.permute({1, 0, 2}).contiguous();
  const at::Tensor w = trace.weights.permute({1, 0, 2}).contiguous();
  at::Tensor ib, wb;
  if (before) {
    ib = trace.ids_before.permute({1, 0, 2}).contiguous();
    wb = trace.weights_before.permute({1, 0, 2}).contiguous();
  }
  const int64_t N = ids.size(0), row = ids.size(1) * ids.size(2);
  const bool weights = mode == Capture::IdsAndWeights;
  auto id_row = [&](const at::Tensor& t, int64_t n) {
    const int64_t* p = t.data_ptr<int64_t>() + n * row;
    return nlohmann::json(std::vector<int64_t>(p, p + row));
  };
  auto weight_row = [&](const at::Tensor& t, int64_t n) {
    const float* p = t.data_ptr<float>() + n * row;
    std::vector<double> v(static_cast<size_t>(row));
    for (int64_t i = 0; i < row; ++i) v[static_cast<size_t>(i)] = round_significant(p[i]);
    return nlohmann::json(std::move(v));
  };
  for (int64_t n = 0; n < N; ++n) {
    const int64_t pos = position + n;
    nlohmann::json r = {
        {"position", pos},
        {"is_prompt", pos < n_prompt},
        {"token",
         pos < static_cast<int64_t>(tokens.size()) ? tokens[static_cast<size_t>(pos)] : -1},
        {"ids", id_row(ids, n)}};
    if (weights) r["weights"] = weight_row(w, n);
    if (before) {
      r["ids_before"] = id_row(ib, n);
      if (weights) r["weights_before"] = weight_row(wb, n);
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

nlohmann::json counts_json(const at::Tensor& counts_in, bool weighted) {
  const at::Tensor counts = counts_in.to(at::kFloat).contiguous();
  nlohmann::json out = nlohmann::json::array();
  const float* p = counts.data_ptr<float>();
  for (int64_t l = 0; l < counts.size(0); ++l) {
    nlohmann::json row = nlohmann::json::array();
    for (int64_t e = 0; e < counts.size(1); ++e) {
      const float v = p[l * counts.size(1) + e];
      if (weighted)
        row.push_back(round_significant(v));
      else
        row.push_back(static_cast<int64_t>(std::lround(v)));
    }
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace mote::server
