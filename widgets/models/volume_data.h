#pragma once
// The data behind the 3D resonance view: a [slices x MoE layers x experts] float volume, where a
// slice is a token of a conversation (routing captured per token) or one prompt / class of a run
// (activation maps stacked). Pure data and geometry: no VTK, no widgets, so picking is testable.
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sessions/engine_client.h"
#include "sessions/map_matrix.h"
#include "protocol/model_geometry.h"
#include "sessions/session_store.h"

namespace mote::widgets {

// What the slice axis of a volume counts (shown in axis titles and tooltips).
enum class VolumeSliceKind { kToken, kPrompt, kClass };

class ResonanceVolume {
 public:
  ResonanceVolume() = default;
  // An all-zero volume; `layer_ids` are the model layer indices of the MoE layers (rows).
  ResonanceVolume(int n_slices, std::vector<int> layer_ids, int n_experts,
                  VolumeSliceKind kind = VolumeSliceKind::kToken);

  // One slice per routing row (token), in the order given (prompt tokens first as the engine
  // sends them). A voxel is 1 if the token selected the expert in that layer (or the router
  // weight if `weighted` and weights were captured); `before_tuning` uses the routing the model
  // would have chosen without the tuning. Throws std::invalid_argument for rows whose shape
  // disagrees with the geometry.
  static ResonanceVolume fromRouting(const std::vector<mote::RoutingRow>& rows,
                                     const mote::ModelGeometry& geometry, bool weighted = false,
                                     bool before_tuning = false,
                                     const QStringList& token_texts = {});
  // One slice per row of `maps` (e.g. every prompt of a run, in dataset order).
  static ResonanceVolume fromMaps(const sessions::MapMatrix& maps,
                                  const mote::ModelGeometry& geometry,
                                  const QStringList& slice_labels = {},
                                  VolumeSliceKind kind = VolumeSliceKind::kPrompt);
  // One slice per class mean map (the map of each label, in label order).
  static ResonanceVolume fromClassMeans(const std::map<std::string, std::vector<float>>& means,
                                        const mote::ModelGeometry& geometry);

  int slices() const { return n_slices_; }
  int layers() const { return static_cast<int>(layer_ids_.size()); }
  int experts() const { return n_experts_; }
  std::size_t voxelCount() const { return values_.size(); }
  bool empty() const { return values_.empty(); }
  VolumeSliceKind sliceKind() const { return kind_; }
  QString sliceAxisTitle() const;

  const std::vector<int>& layerIds() const { return layer_ids_; }
  int layerId(int moe_layer) const { return layer_ids_.at(static_cast<std::size_t>(moe_layer)); }
  const QStringList& sliceLabels() const { return slice_labels_; }
  void setSliceLabels(const QStringList& labels) { slice_labels_ = labels; }

  // values[(slice * layers + moe_layer) * experts + expert]; x = expert varies fastest, which is
  // VTK's image order for dimensions (experts, layers, slices).
  std::size_t index(int slice, int moe_layer, int expert) const {
    return (static_cast<std::size_t>(slice) * layer_ids_.size() +
            static_cast<std::size_t>(moe_layer)) *
               static_cast<std::size_t>(n_experts_) +
           static_cast<std::size_t>(expert);
  }
  float value(int slice, int moe_layer, int expert) const {
    return values_[index(slice, moe_layer, expert)];
  }
  void setValue(int slice, int moe_layer, int expert, float v) {
    values_[index(slice, moe_layer, expert)] = v;
    range_valid_ = false;
  }
  const std::vector<float>& values() const { return values_; }
  std::vector<float>& mutableValues() {
    range_valid_ = false;
    return values_;
  }
  // Minimum and maximum value (cached).
  std::array<float, 2> range() const;

 private:
  int n_slices_ = 0;
  int n_experts_ = 0;
  std::vector<int> layer_ids_;
  VolumeSliceKind kind_ = VolumeSliceKind::kToken;
  QStringList slice_labels_;
  std::vector<float> values_;
  mutable bool range_valid_ = false;
  mutable std::array<float, 2> range_{0.0f, 0.0f};
};

// The maps of a run's answered prompts (dataset order) stacked, one slice per prompt, labelled
// with the prompt text. Throws sessions::SessionError (e.g. an answer without that map).
ResonanceVolume runVolume(sessions::SessionStore& store, std::int64_t run_id,
                          sessions::MapKind kind = sessions::MapKind::kPromptCounts);
// The class mean maps of a run (effective labels of `classifier`; unlabelled answers left out),
// one slice per class in label order.
ResonanceVolume classMeanVolume(sessions::SessionStore& store, std::int64_t run_id,
                                const std::string& classifier,
                                sessions::MapKind kind = sessions::MapKind::kPromptCounts);

// A voxel address in volume index space.
struct VoxelIndex {
  int slice = 0;
  int moe_layer = 0;
  int expert = 0;
  friend bool operator==(const VoxelIndex&, const VoxelIndex&) = default;
};

}  // namespace mote::widgets

Q_DECLARE_METATYPE(mote::widgets::VoxelIndex)

namespace mote::widgets {

// How volume index space maps to world space: voxel (expert, moe_layer, slice) is centred at
// (expert * spacing[0], moe_layer * spacing[1], slice * spacing[2]) and fills +-spacing/2.
struct VolumeGeometry {
  std::array<double, 3> spacing{1.0, 1.0, 1.0};
  // Spacing that makes the box roughly as tall and deep as it is wide, so 58 layers or 10
  // prompts are not a flat sheet next to 256 experts.
  static VolumeGeometry balanced(const ResonanceVolume& volume);
};

// Whether a voxel stops a pick ray: the view decides from what it shows (the volume's opacity
// threshold, an opaque slice plane, stacked slices with transparent zeros).
using VoxelVisibility = std::function<bool(const VoxelIndex&, float value)>;

// A voxel a ray hits and the ray parameter t (origin + t * direction) where it does.
struct VoxelHit {
  VoxelIndex voxel;
  double t = 0.0;
};

// The first visible voxel hit by the ray origin + t * direction (t >= 0), both in world space,
// walking voxel by voxel front to back (Amanatides & Woo); t is where the ray enters it. For
// what a volume renderer with nearest-neighbour sampling shows (voxels as solid cells). nullopt
// if the ray misses every visible voxel.
std::optional<VoxelHit> pickVoxel(const ResonanceVolume& volume, const VolumeGeometry& geometry,
                                  const std::array<double, 3>& origin,
                                  const std::array<double, 3>& direction,
                                  const VoxelVisibility& visible);

// Where the ray crosses slice `index` along `axis` (0 = expert, 1 = layer, 2 = slice), drawn as
// a flat image through the voxel centres: the voxel of that slice at the crossing. nullopt if
// the ray is parallel to the plane, crosses it behind the origin or outside the volume.
std::optional<VoxelHit> intersectSlicePlane(const ResonanceVolume& volume,
                                            const VolumeGeometry& geometry,
                                            const std::array<double, 3>& origin,
                                            const std::array<double, 3>& direction, int axis,
                                            int index);

}  // namespace mote::widgets
