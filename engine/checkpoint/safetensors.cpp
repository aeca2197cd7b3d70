#include "engine/checkpoint/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/checkpoint/safetensors_writer.h"
#include "engine/error.h"

namespace mote {
namespace {

at::ScalarType scalar_type_of(DType d, const std::string& where) {
  switch (d) {
    case DType::F32:
      return at::kFloat;
    case DType::F16:
      return at::kHalf;
    case DType::BF16:
      return at::kBFloat16;
    case DType::F8_E4M3:
      return at::kByte;  // libtorch 1.13 has no float8: raw E4M3 bytes
    case DType::F64:
      return at::kDouble;
    case DType::I64:
      return at::kLong;
    case DType::I32:
      return at::kInt;
    case DType::I16:
      return at::kShort;
    case DType::I8:
      return at::kChar;
    case DType::U8:
      return at::kByte;
    case DType::BOOL:
      return at::kBool;
  }
  throw CheckpointError(where + ": unsupported dtype");
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : path_(path) {
  const std::string name = path.string();
  int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw CheckpointError(name + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw CheckpointError(name + ": not a regular file");
  }
  map_size_ = static_cast<size_t>(st.st_size);
  if (map_size_ < 8) {
    ::close(fd);
    throw CheckpointError(name + ": truncated: shorter than the 8-byte header length");
  }
  map_ = ::mmap(nullptr, map_size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map_ == MAP_FAILED) {
    map_ = nullptr;
    throw CheckpointError(name + ": mmap failed: " + std::strerror(errno));
  }
  try {
    std::string_view bytes(static_cast<const char*>(map_), map_size_);
    header_ = parse_safetensors_header(bytes, map_size_, name);
  } catch (...) {
    ::munmap(map_, map_size_);
    map_ = nullptr;
    throw;
  }
  for (size_t i = 0; i < header_.tensors.size(); ++i) index_[header_.tensors[i].name] = i;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(map_, map_size_);
}

const TensorEntry* SafetensorsFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &header_.tensors[it->second];
}

const uint8_t* SafetensorsFile::data(const TensorEntry& entry) const {
  return static_cast<const uint8_t*>(map_) + header_.data_offset + entry.begin;
}

std::shared_ptr<Checkpoint> Checkpoint::open(const std::filesystem::path& dir) {
  auto ckpt = std::shared_ptr<Checkpoint>(new Checkpoint());
  const auto index_path = dir / "model.safetensors.index.json";
  std::vector<std::filesystem::path> shard_paths;
  std::map<std::string, std::string> weight_map;
  if (std::filesystem::exists(index_path)) {
    nlohmann::json j;
    try {
      std::ifstream in(index_path);
      j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw CheckpointError(index_path.string() + ": invalid JSON: " + e.what());
    }
    if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
      throw CheckpointError(index_path.string() + ": missing object 'weight_map'");
    std::set<std::string> shards;
    for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
      if (!it.value().is_string())
        throw CheckpointError(index_path.string() + ": weight_map['" + it.key() +
                              "'] is not a string");
      std::string shard = it.value().get<std::string>();
      if (shard.find('/') != std::string::npos || shard == "..")
        throw CheckpointError(index_path.string() + ": shard name '" + shard +
                              "' leaves the directory");
      weight_map[it.key()] = shard;
      shards.insert(shard);
    }
    for (const auto& s : shards) shard_paths.push_back(dir / s);
  } else if (std::filesystem::exists(dir / "model.safetensors")) {
    shard_paths.push_back(dir / "model.safetensors");
  } else {
    throw CheckpointError(dir.string() +
                          ": no model.safetensors or model.safetensors.index.json found");
  }
  for (const auto& p : shard_paths) {
    if (!weight_map.empty() && !std::filesystem::exists(p))
      throw CheckpointError(index_path.string() + ": shard " + p.string() + " does not exist");
    ckpt->files_.push_back(std::make_shared<SafetensorsFile>(p));
    size_t file_index = ckpt->files_.size() - 1;
    for (const auto& e : ckpt->files_.back()->header().tensors) {
      auto [it, inserted] = ckpt->where_.emplace(e.name, std::make_pair(file_index, &e));
      if (!inserted)
        throw CheckpointError(p.string() + ": tensor '" + e.name + "' also appears in " +
                              ckpt->files_[it->second.first]->path().string());
    }
  }
  for (const auto& [name, shard] : weight_map) {
    auto it = ckpt->where_.find(name);
    if (it == ckpt->where_.end())
      throw CheckpointError(index_path.string() + ": tensor '" + name + "' is listed in shard " +
                            shard + " but not found there");
    if (ckpt->files_[it->second.first]->path().filename() != shard)
      throw CheckpointError(index_path.string() + ": tensor '" + name + "' is listed in shard " +
                            shard + " but stored in " +
                            ckpt->files_[it->second.first]->path().filename().string());
  }
  return ckpt;
}

std::shared_ptr<Checkpoint> Checkpoint::from_tensors(std::map<std::string, at::Tensor> tensors) {
  auto ckpt = std::shared_ptr<Checkpoint>(new Checkpoint());
  for (auto& [name, tensor] : tensors) {
    if (!tensor.defined())
      throw CheckpointError("in-memory checkpoint: tensor '" + name + "' is undefined");
    TensorEntry e;
    e.name = name;
    e.dtype = safetensors_dtype(tensor.scalar_type());
    e.shape = tensor.sizes().vec();
    const TensorEntry& stored = ckpt->memory_entries_.emplace(name, std::move(e)).first->second;
    ckpt->where_.emplace(name, std::make_pair(kInMemory, &stored));
    ckpt->memory_.emplace(name, std::move(tensor));
  }
  return ckpt;
}

bool Checkpoint::contains(const std::string& name) const {
  return where_.count(name) > 0;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  for (const auto& [name, _] : where_) out.push_back(name);
  return out;
}

const TensorEntry& Checkpoint::entry(const std::string& name) const {
  auto it = where_.find(name);
  if (it == where_.end()) {
    std::string files;
    for (const auto& f : files_) files += (files.empty() ? "" : ", ") + f->path().string();
    throw CheckpointError("missing tensor '" + name + "' (checkpoint files: " + files + ")");
  }
  return *it->second.second;
}

const std::filesystem::path& Checkpoint::file_of(const std::string& name) const {
  entry(name);
  static const std::filesystem::path memory("<in-memory checkpoint>");
  const size_t file = where_.at(name).first;
  return file == kInMemory ? memory : files_[file]->path();
}

at::Tensor Checkpoint::tensor(const std::string& name) const {
  const TensorEntry& e = entry(name);
  if (where_.at(name).first == kInMemory) return memory_.at(name);
  const SafetensorsFile& file = *files_[where_.at(name).first];
  auto type = scalar_type_of(e.dtype, file.path().string() + ": tensor '" + name + "'");
  // The mapping is PROT_READ: writing through this tensor would fault, so callers only read.
  void* data = const_cast<uint8_t*>(file.data(e));
  const auto options = at::TensorOptions().dtype(type);
  if (reinterpret_cast<uintptr_t>(data) % dtype_size(e.dtype) != 0)
    return at::from_blob(data, e.shape, options).clone();
  std::shared_ptr<SafetensorsFile> keep_alive = files_[where_.at(name).first];
  return at::from_blob(
      data, e.shape, [keep_alive](void*) mutable { keep_alive.reset(); }, options);
}

at::Tensor Checkpoint::tensor(const std::string& name, const std::vector<int64_t>& shape,
                              const std::vector<DType>& allowed) const {
  const TensorEntry& e = entry(name);
  const std::string where = file_of(name).string() + ": tensor '" + name + "'";
  if (std::find(allowed.begin(), allowed.end(), e.dtype) == allowed.end()) {
    std::string names;
    for (DType d : allowed) names += (names.empty() ? "" : ", ") + std::string(dtype_name(d));
    throw CheckpointError(where + " has dtype " + dtype_name(e.dtype) + ", expected one of " +
                          names);
  }
  if (e.shape != shape)
    throw CheckpointError(where + " has shape " + shape_string(e.shape) + ", the config implies " +
                          shape_string(shape));
  return tensor(name);
}

}  // namespace mote
