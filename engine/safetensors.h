#pragma once
// Memory-mapped safetensors checkpoints: a single model.safetensors or shards listed in
// model.safetensors.index.json. Tensors are zero-copy views over the mapping (FP8 as uint8).
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "engine/safetensors_header.h"

namespace mote {

// One mmap'ed .safetensors file with its parsed header.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  const SafetensorsHeader& header() const { return header_; }
  const TensorEntry* find(const std::string& name) const;
  const uint8_t* data(const TensorEntry& entry) const;

 private:
  std::filesystem::path path_;
  SafetensorsHeader header_;
  std::map<std::string, size_t> index_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
};

// All tensors of a checkpoint directory.
class Checkpoint {
 public:
  static std::shared_ptr<Checkpoint> open(const std::filesystem::path& dir);

  bool contains(const std::string& name) const;
  std::vector<std::string> names() const;
  const TensorEntry& entry(const std::string& name) const;  // CheckpointError if missing
  const std::filesystem::path& file_of(const std::string& name) const;
  // Zero-copy CPU tensor over the mapping (read-only: never write to it). F8_E4M3 comes back as
  // kByte. The tensor keeps its file mapped. A tensor whose bytes are not aligned to its element
  // size (possible only in files not written by a standard writer) is copied instead.
  // CheckpointError if missing.
  at::Tensor tensor(const std::string& name) const;
  // tensor(name) after checking that dtype is one of `allowed` and the shape equals `shape`.
  at::Tensor tensor(const std::string& name, const std::vector<int64_t>& shape,
                    const std::vector<DType>& allowed) const;

 private:
  // Shared with every tensor handed out, so the mappings outlive the Checkpoint if need be.
  std::vector<std::shared_ptr<SafetensorsFile>> files_;
  std::map<std::string, std::pair<size_t, const TensorEntry*>> where_;  // name -> (file, entry)
};

}  // namespace mote
