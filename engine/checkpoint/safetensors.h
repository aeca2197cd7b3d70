#pragma once
// Memory-mapped safetensors checkpoints: a single model.safetensors or shards listed in
// model.safetensors.index.json. Tensors are zero-copy views over the mapping (FP8 as uint8).
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "engine/checkpoint/safetensors_header.h"

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

// All tensors of a checkpoint directory, or of an in-memory set of tensors.
class Checkpoint {
 public:
  static std::shared_ptr<Checkpoint> open(const std::filesystem::path& dir);
  // A checkpoint over tensors held in memory (F32/BF16/F16, any device): tensor(name) returns the
  // very tensor given, not a copy, so a model built on it shares its weights with the caller (the
  // organism trainer's parameters, updated in place by the optimizer).
  static std::shared_ptr<Checkpoint> from_tensors(std::map<std::string, at::Tensor> tensors);
  bool in_memory() const { return files_.empty(); }

  bool contains(const std::string& name) const;
  std::vector<std::string> names() const;
  const TensorEntry& entry(const std::string& name) const;  // CheckpointError if missing
  const std::filesystem::path& file_of(const std::string& name) const;
  // Zero-copy CPU tensor over the mapping (read-only: never write to it). F8_E4M3 comes back as
  // kByte. The tensor keeps its file mapped. In memory: the stored tensor itself. A tensor whose
  // bytes are not aligned to its element size (possible only in files not written by a standard
  // writer) is copied instead. CheckpointError if missing.
  at::Tensor tensor(const std::string& name) const;
  // tensor(name) after checking that dtype is one of `allowed` and the shape equals `shape`.
  at::Tensor tensor(const std::string& name, const std::vector<int64_t>& shape,
                    const std::vector<DType>& allowed) const;

 private:
  static constexpr size_t kInMemory = static_cast<size_t>(-1);  // where_'s file index in memory
  // Shared with every tensor handed out, so the mappings outlive the Checkpoint if need be.
  std::vector<std::shared_ptr<SafetensorsFile>> files_;
  std::map<std::string, std::pair<size_t, const TensorEntry*>> where_;  // name -> (file, entry)
  // In memory (no files): the tensors and their entries (dtype and shape; no byte offsets).
  std::map<std::string, at::Tensor> memory_;
  std::map<std::string, TensorEntry> memory_entries_;
};

}  // namespace mote
