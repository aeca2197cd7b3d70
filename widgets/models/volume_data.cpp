#include "widgets/models/volume_data.h"

#include <QObject>
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "sessions/resonance.h"
#include "sessions/session_analysis.h"

namespace mote::widgets {

ResonanceVolume::ResonanceVolume(int n_slices, std::vector<int> layer_ids, int n_experts,
                                 VolumeSliceKind kind)
    : n_slices_(n_slices), n_experts_(n_experts), layer_ids_(std::move(layer_ids)), kind_(kind) {
  if (n_slices < 0 || n_experts < 0) throw std::invalid_argument("ResonanceVolume: negative size");
  values_.assign(
      static_cast<std::size_t>(n_slices) * layer_ids_.size() * static_cast<std::size_t>(n_experts),
      0.0f);
}

ResonanceVolume ResonanceVolume::fromRouting(const std::vector<mote::RoutingRow>& rows,
                                             const mote::ModelGeometry& geometry, bool weighted,
                                             bool before_tuning, const QStringList& token_texts) {
  const auto n_moe = geometry.n_moe_layers();
  const auto top_k = static_cast<std::size_t>(geometry.top_k);
  ResonanceVolume volume(static_cast<int>(rows.size()), geometry.moe_layers, geometry.n_experts,
                         VolumeSliceKind::kToken);
  for (std::size_t t = 0; t < rows.size(); ++t) {
    const auto& row = rows[t];
    const auto& ids = before_tuning ? row.ids_before : row.ids;
    const auto& weights = before_tuning ? row.weights_before : row.weights;
    if (ids.size() != n_moe * top_k)
      throw std::invalid_argument("routing row " + std::to_string(t) + " has " +
                                  std::to_string(ids.size()) + " expert ids, expected " +
                                  std::to_string(n_moe * top_k) + " (MoE layers x top_k)");
    const bool use_weights = weighted && weights.size() == ids.size();
    for (std::size_t m = 0; m < n_moe; ++m) {
      for (std::size_t k = 0; k < top_k; ++k) {
        const std::size_t i = m * top_k + k;
        const int expert = ids[i];
        if (expert < 0) continue;  // no selection recorded in this slot
        if (expert >= geometry.n_experts)
          throw std::invalid_argument("routing row " + std::to_string(t) + ": expert id " +
                                      std::to_string(expert) + " out of range");
        const float v = use_weights ? weights[i] : 1.0f;
        volume.values_[volume.index(static_cast<int>(t), static_cast<int>(m), expert)] += v;
      }
    }
  }
  volume.slice_labels_ = token_texts;
  return volume;
}

ResonanceVolume ResonanceVolume::fromMaps(const sessions::MapMatrix& maps,
                                          const mote::ModelGeometry& geometry,
                                          const QStringList& slice_labels, VolumeSliceKind kind) {
  if (maps.n_cells != geometry.n_cells())
    throw std::invalid_argument("map matrix has " + std::to_string(maps.n_cells) +
                                " cells, the geometry " + std::to_string(geometry.n_cells()));
  ResonanceVolume volume(static_cast<int>(maps.n_prompts), geometry.moe_layers, geometry.n_experts,
                         kind);
  // Row-major [prompt][moe_layer][expert] is already the volume's order.
  std::copy(maps.values.begin(), maps.values.end(), volume.values_.begin());
  volume.slice_labels_ = slice_labels;
  return volume;
}

ResonanceVolume ResonanceVolume::fromClassMeans(
    const std::map<std::string, std::vector<float>>& means, const mote::ModelGeometry& geometry) {
  ResonanceVolume volume(static_cast<int>(means.size()), geometry.moe_layers, geometry.n_experts,
                         VolumeSliceKind::kClass);
  int slice = 0;
  for (const auto& [label, map] : means) {
    if (map.size() != geometry.n_cells())
      throw std::invalid_argument("class mean of '" + label + "' has " +
                                  std::to_string(map.size()) + " cells, expected " +
                                  std::to_string(geometry.n_cells()));
    std::copy(map.begin(), map.end(),
              volume.values_.begin() + static_cast<std::ptrdiff_t>(volume.index(slice, 0, 0)));
    volume.slice_labels_.append(QString::fromStdString(label));
    ++slice;
  }
  return volume;
}

QString ResonanceVolume::sliceAxisTitle() const {
  switch (kind_) {
    case VolumeSliceKind::kToken:
      return QObject::tr("token");
    case VolumeSliceKind::kPrompt:
      return QObject::tr("prompt");
    case VolumeSliceKind::kClass:
      return QObject::tr("class");
  }
  return {};
}

std::array<float, 2> ResonanceVolume::range() const {
  if (!range_valid_) {
    if (values_.empty()) {
      range_ = {0.0f, 0.0f};
    } else {
      const auto [lo, hi] = std::minmax_element(values_.begin(), values_.end());
      range_ = {*lo, *hi};
    }
    range_valid_ = true;
  }
  return range_;
}

ResonanceVolume runVolume(sessions::SessionStore& store, std::int64_t run_id,
                          sessions::MapKind kind) {
  const auto info = store.run(run_id);
  std::vector<std::int64_t> ids;
  const auto maps = store.maps(run_id, kind, ids);
  std::map<std::int64_t, QString> texts;
  for (const auto& p : store.prompts(info.config.dataset_id))
    texts.emplace(p.id, QString::fromStdString(p.prompt.text));
  QStringList labels;
  for (const auto id : ids) labels << texts[id];
  return ResonanceVolume::fromMaps(maps, info.config.geometry, labels, VolumeSliceKind::kPrompt);
}

ResonanceVolume classMeanVolume(sessions::SessionStore& store, std::int64_t run_id,
                                const std::string& classifier, sessions::MapKind kind) {
  const auto info = store.run(run_id);
  std::vector<std::int64_t> ids;
  const auto maps = store.maps(run_id, kind, ids);
  const auto labels = sessions::run_labels(store, run_id, classifier, ids);
  return ResonanceVolume::fromClassMeans(sessions::class_mean_maps(maps, labels),
                                         info.config.geometry);
}

VolumeGeometry VolumeGeometry::balanced(const ResonanceVolume& volume) {
  VolumeGeometry g;
  const double width = std::max(1, volume.experts());
  // Layers: at least one unit per layer, at most as tall as the box is wide.
  g.spacing[1] = volume.layers() > 1 ? std::clamp(width / volume.layers(), 1.0, 8.0) : 1.0;
  // Slices: as deep as wide, but never thinner than a quarter unit or thicker than 16 units.
  g.spacing[2] = volume.slices() > 1 ? std::clamp(width / volume.slices(), 0.25, 16.0) : 1.0;
  return g;
}

std::optional<VoxelHit> pickVoxel(const ResonanceVolume& volume, const VolumeGeometry& geometry,
                                  const std::array<double, 3>& origin,
                                  const std::array<double, 3>& direction,
                                  const VoxelVisibility& visible) {
  if (volume.empty()) return std::nullopt;
  const std::array<int, 3> dims{volume.experts(), volume.layers(), volume.slices()};
  // Index space: voxel i fills [i, i + 1) on each axis.
  std::array<double, 3> p{}, d{};
  for (int a = 0; a < 3; ++a) {
    p[a] = origin[a] / geometry.spacing[a] + 0.5;
    d[a] = direction[a] / geometry.spacing[a];
  }
  // Slab intersection with the box [0, dims).
  double t_enter = 0.0, t_exit = std::numeric_limits<double>::infinity();
  for (int a = 0; a < 3; ++a) {
    if (std::abs(d[a]) < 1e-12) {
      if (p[a] < 0.0 || p[a] >= dims[a]) return std::nullopt;
      continue;
    }
    double t0 = (0.0 - p[a]) / d[a];
    double t1 = (dims[a] - p[a]) / d[a];
    if (t0 > t1) std::swap(t0, t1);
    t_enter = std::max(t_enter, t0);
    t_exit = std::min(t_exit, t1);
  }
  if (t_enter > t_exit) return std::nullopt;

  // Amanatides & Woo: step from voxel to voxel along the ray.
  std::array<int, 3> cell{}, step{};
  std::array<double, 3> t_max{}, t_delta{};
  for (int a = 0; a < 3; ++a) {
    const double entry = p[a] + t_enter * d[a];
    cell[a] = std::clamp(static_cast<int>(std::floor(entry)), 0, dims[a] - 1);
    if (d[a] > 0) {
      step[a] = 1;
      t_max[a] = t_enter + (cell[a] + 1 - entry) / d[a];
      t_delta[a] = 1.0 / d[a];
    } else if (d[a] < 0) {
      step[a] = -1;
      t_max[a] = t_enter + (cell[a] - entry) / d[a];
      t_delta[a] = -1.0 / d[a];
    } else {
      step[a] = 0;
      t_max[a] = std::numeric_limits<double>::infinity();
      t_delta[a] = std::numeric_limits<double>::infinity();
    }
  }
  double t_cell = t_enter;  // where the ray entered the current cell
  for (;;) {
    const VoxelIndex voxel{cell[2], cell[1], cell[0]};
    if (visible(voxel, volume.value(voxel.slice, voxel.moe_layer, voxel.expert)))
      return VoxelHit{voxel, t_cell};
    const int a =
        t_max[0] < t_max[1] ? (t_max[0] < t_max[2] ? 0 : 2) : (t_max[1] < t_max[2] ? 1 : 2);
    if (t_max[a] > t_exit) return std::nullopt;
    cell[a] += step[a];
    if (cell[a] < 0 || cell[a] >= dims[a]) return std::nullopt;
    t_cell = t_max[a];
    t_max[a] += t_delta[a];
  }
}

std::optional<VoxelHit> intersectSlicePlane(const ResonanceVolume& volume,
                                            const VolumeGeometry& geometry,
                                            const std::array<double, 3>& origin,
                                            const std::array<double, 3>& direction, int axis,
                                            int index) {
  if (volume.empty() || axis < 0 || axis > 2) return std::nullopt;
  const std::array<int, 3> dims{volume.experts(), volume.layers(), volume.slices()};
  const auto ax = static_cast<std::size_t>(axis);
  if (index < 0 || index >= dims[ax] || std::abs(direction[ax]) < 1e-12) return std::nullopt;
  const double t = (index * geometry.spacing[ax] - origin[ax]) / direction[ax];
  if (t < 0.0) return std::nullopt;
  std::array<int, 3> cell{};
  for (std::size_t a = 0; a < 3; ++a) {
    if (a == ax) {
      cell[a] = index;
      continue;
    }
    const double p = (origin[a] + t * direction[a]) / geometry.spacing[a] + 0.5;
    if (p < 0.0 || p >= dims[a]) return std::nullopt;
    cell[a] = static_cast<int>(std::floor(p));
  }
  return VoxelHit{VoxelIndex{cell[2], cell[1], cell[0]}, t};
}

}  // namespace mote::widgets
