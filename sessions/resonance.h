#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "sessions/map_matrix.h"

namespace mote::sessions {

// Mean activation map per label, each [n_cells]. `labels[i]` is prompt i's label; prompts with an
// empty label (unclassified, excluded) are ignored.
std::map<std::string, std::vector<float>> class_mean_maps(const MapMatrix& maps,
                                                          const std::vector<std::string>& labels);

// fTRI resonance map of `target`: mean map of prompts labelled `target` minus the mean map of the
// prompts with any other (non-empty) label, [n_cells]. Throws SessionError if either group is
// empty.
std::vector<float> resonance_map(const MapMatrix& maps, const std::vector<std::string>& labels,
                                 const std::string& target);

// Cell indices ordered by descending value (ties: lower index first). The last entries are the
// "bottom end" (most negative resonance).
std::vector<std::size_t> rank_descending(const std::vector<float>& values);

// group[i] = true if prompt i is in the target class. Checks sizes and that both groups are
// non-empty; used by the statistics below.
std::vector<bool> target_membership(const std::vector<std::string>& labels,
                                    const std::string& target,
                                    std::vector<bool>* included = nullptr);

}  // namespace mote::sessions
