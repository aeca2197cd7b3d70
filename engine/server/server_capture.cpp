#include "engine/server/server_capture.h"

namespace mote::server {

std::vector<RoutingRow> routing_rows(const RoutingTrace& trace, int64_t position, int64_t n_prompt,
                                     const std::vector<int64_t>& tokens, CaptureMode mode,
                                     bool before) {
  std::vector<RoutingRow> rows;
  if (!trace.defined() || mode == CaptureMode::None) return rows;
  // [n_moe, N, k] -> [N, n_moe, k]: one contiguous n_moe*k run per token.
  const at::Tensor ids = trace.ids.permute({1, 0, 2}).contiguous();
  const at::Tensor w = trace.weights.permute({1, 0, 2}).contiguous();
  at::Tensor ib, wb;
  if (before) {
    ib = trace.ids_before.permute({1, 0, 2}).contiguous();
    wb = trace.weights_before.permute({1, 0, 2}).contiguous();
  }
  const int64_t N = ids.size(0), row = ids.size(1) * ids.size(2);
  const bool weights = mode == CaptureMode::IdsAndWeights;
  auto id_row = [&](const at::Tensor& t, int64_t n) {
    const int64_t* p = t.data_ptr<int64_t>() + n * row;
    return std::vector<int>(p, p + row);
  };
  auto weight_row = [&](const at::Tensor& t, int64_t n) {
    const float* p = t.data_ptr<float>() + n * row;
    return std::vector<float>(p, p + row);
  };
  rows.reserve(static_cast<size_t>(N));
  for (int64_t n = 0; n < N; ++n) {
    const int64_t pos = position + n;
    RoutingRow r;
    r.position = static_cast<int>(pos);
    r.is_prompt = pos < n_prompt;
    r.token = pos < static_cast<int64_t>(tokens.size()) ? tokens[static_cast<size_t>(pos)] : -1;
    r.ids = id_row(ids, n);
    if (weights) r.weights = weight_row(w, n);
    if (before) {
      r.ids_before = id_row(ib, n);
      if (weights) r.weights_before = weight_row(wb, n);
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

ActivationMap activation_map_of(const at::Tensor& counts_in) {
  const at::Tensor counts = counts_in.to(at::kFloat).contiguous();
  ActivationMap map(static_cast<std::size_t>(counts.size(0)),
                    static_cast<std::size_t>(counts.size(1)));
  const float* p = counts.data_ptr<float>();
  std::copy(p, p + counts.numel(), map.values.begin());
  return map;
}

}  // namespace mote::server
