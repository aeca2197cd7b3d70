// safetensors writing and reading: round trips (single file and sharded with an index) and
// hostile files, each of which must fail with a CheckpointError naming the file (and tensor).
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/checkpoint/safetensors.h"
#include "engine/checkpoint/safetensors_header.h"
#include "engine/checkpoint/safetensors_writer.h"
#include "engine/error.h"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "mote-st-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string le64(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(n >> (8 * i));
  return s;
}

// A file from its header text and `data_bytes` zero bytes of data.
std::string raw_file(const std::string& header, size_t data_bytes) {
  return le64(header.size()) + header + std::string(data_bytes, '\0');
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The message of the CheckpointError that f throws, or a marker that makes the CHECK fail.
std::string checkpoint_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const mote::CheckpointError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<wrong exception type> ") + e.what();
  }
  return "<no exception>";
}

// Parses `bytes` as file "bad.safetensors" and returns the error message.
std::string header_error(const std::string& bytes) {
  return checkpoint_error(
      [&] { mote::parse_safetensors_header(bytes, bytes.size(), "bad.safetensors"); });
}

at::Tensor arange(int64_t n, at::ScalarType t) {
  return at::arange(n, at::kDouble).to(t);
}

}  // namespace

TEST_CASE("safetensors: single-file round trip", "[safetensors]") {
  TempDir tmp;
  const at::Tensor f32 = arange(12, at::kFloat).reshape({3, 4}) / 7;
  const at::Tensor bf16 = arange(5, at::kBFloat16);
  const at::Tensor i64 = arange(4, at::kLong).reshape({2, 2});
  const at::Tensor codes = arange(9, at::kByte).reshape({3, 3}) * 20;
  const at::Tensor flags = at::tensor({1, 0, 1}).to(at::kBool);
  const at::Tensor scalar = at::scalar_tensor(2.5, at::kDouble);
  const at::Tensor empty = at::zeros({0, 3}, at::kHalf);
  const at::Tensor strided = arange(20, at::kFloat).reshape({4, 5}).t();  // non-contiguous
  const fs::path file = tmp.path / "model.safetensors";
  mote::write_safetensors(file,
                          {{"a.f32", f32, {}},
                           {"b.bf16", bf16, {}},
                           {"c.i64", i64, {}},
                           {"d.fp8", codes, mote::DType::F8_E4M3},
                           {"e.bool", flags, {}},
                           {"f.scalar", scalar, {}},
                           {"g.empty", empty, {}},
                           {"h.strided", strided, {}}},
                          {{"note", "round trip"}});

  mote::SafetensorsFile raw(file);
  CHECK(raw.header().data_offset % 8 == 0);  // header padded like the reference writer
  CHECK(raw.header().metadata.at("note") == "round trip");
  CHECK(raw.header().metadata.at("format") == "pt");
  for (const auto& e : raw.header().tensors) {
    INFO(e.name);
    CHECK((raw.header().data_offset + e.begin) % mote::dtype_size(e.dtype) == 0);
  }
  CHECK(raw.find("d.fp8")->dtype == mote::DType::F8_E4M3);
  CHECK(raw.find("b.bf16")->dtype == mote::DType::BF16);

  auto ckpt = mote::Checkpoint::open(tmp.path);
  CHECK(ckpt->names().size() == 8);
  CHECK(at::equal(ckpt->tensor("a.f32"), f32));
  CHECK(at::equal(ckpt->tensor("b.bf16"), bf16));
  CHECK(at::equal(ckpt->tensor("c.i64"), i64));
  CHECK(ckpt->tensor("d.fp8").scalar_type() == at::kByte);
  CHECK(at::equal(ckpt->tensor("d.fp8"), codes));
  CHECK(at::equal(ckpt->tensor("e.bool"), flags));
  CHECK(ckpt->tensor("f.scalar").dim() == 0);
  CHECK(ckpt->tensor("f.scalar").item<double>() == 2.5);
  CHECK(ckpt->tensor("g.empty").sizes() == at::IntArrayRef({0, 3}));
  CHECK(at::equal(ckpt->tensor("h.strided"), strided));
  CHECK(at::equal(ckpt->tensor("a.f32", {3, 4}, {mote::DType::F32}), f32));

  // A tensor keeps its mapping alive after the Checkpoint is gone.
  at::Tensor kept = ckpt->tensor("a.f32");
  ckpt.reset();
  CHECK(at::equal(kept, f32));
}

TEST_CASE("safetensors: sharded round trip with an index", "[safetensors]") {
  TempDir tmp;
  std::vector<mote::NamedTensor> tensors;
  for (int i = 0; i < 7; ++i)
    tensors.push_back({"t" + std::to_string(i), arange(250, at::kFloat) + i, {}});  // 1000 bytes
  tensors.push_back({"big", arange(1000, at::kFloat), {}});  // larger than a shard: alone
  mote::write_sharded_safetensors(tmp.path, tensors, 2500);

  std::ifstream in(tmp.path / "model.safetensors.index.json");
  const json index = json::parse(in);
  CHECK(index["metadata"]["total_size"] == 7 * 1000 + 4000);
  CHECK(index["weight_map"]["t0"] == "model-00001-of-00005.safetensors");
  CHECK(index["weight_map"]["t1"] == "model-00001-of-00005.safetensors");
  CHECK(index["weight_map"]["t2"] == "model-00002-of-00005.safetensors");
  CHECK(index["weight_map"]["t6"] == "model-00004-of-00005.safetensors");
  CHECK(index["weight_map"]["big"] == "model-00005-of-00005.safetensors");

  auto ckpt = mote::Checkpoint::open(tmp.path);
  REQUIRE(ckpt->names().size() == tensors.size());
  for (const auto& t : tensors) CHECK(at::equal(ckpt->tensor(t.name), t.tensor));
  CHECK(ckpt->file_of("t3").filename() == "model-00002-of-00005.safetensors");
}

TEST_CASE("safetensors: the writer rejects bad input", "[safetensors]") {
  TempDir tmp;
  const at::Tensor x = at::zeros({2}, at::kFloat);
  CHECK_THROWS_AS(mote::write_safetensors(tmp.path / "m.safetensors", {{"a", x, {}}, {"a", x, {}}}),
                  mote::Error);
  CHECK_THROWS_AS(
      mote::write_safetensors(tmp.path / "m.safetensors", {{"a", x, mote::DType::F8_E4M3}}),
      mote::Error);
  CHECK_THROWS_AS(mote::write_safetensors(tmp.path / "m.safetensors",
                                          {{"a", at::zeros({2}, at::kComplexFloat), {}}}),
                  mote::Error);
  CHECK(!fs::exists(tmp.path / "m.safetensors"));
  CHECK(!fs::exists(tmp.path / "m.safetensors.tmp"));
  const std::string msg = checkpoint_error([&] {
    mote::write_safetensors(tmp.path / "no-such-dir" / "m.safetensors", {{"a", x, {}}});
  });
  CHECK_THAT(msg, Contains("no-such-dir/m.safetensors"));
}

TEST_CASE("safetensors: hostile headers fail with CheckpointError naming file and tensor",
          "[safetensors]") {
  const std::string ok = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  CHECK_NOTHROW(mote::parse_safetensors_header(raw_file(ok, 8), raw_file(ok, 8).size(), "f"));

  SECTION("truncated file") {
    CHECK_THAT(header_error(""), Contains("bad.safetensors") && Contains("truncated"));
    CHECK_THAT(header_error("\x10\0\0"), Contains("bad.safetensors"));
    // The caller passed only part of the header.
    const std::string file = raw_file(ok, 8);
    CHECK_THAT(checkpoint_error([&] {
                 mote::parse_safetensors_header(file.substr(0, 20), file.size(), "bad.safetensors");
               }),
               Contains("bad.safetensors") && Contains("truncated"));
  }
  SECTION("header length past the end") {
    CHECK_THAT(header_error(le64(1000) + "{}"),
               Contains("bad.safetensors") && Contains("past the end"));
  }
  SECTION("huge header length") {
    CHECK_THAT(header_error(le64(~0ull) + "{}"), Contains("bad.safetensors") && Contains("large"));
    CHECK_THAT(header_error(le64(1ull << 40) + "{}"), Contains("bad.safetensors"));
  }
  SECTION("not JSON, not an object, too deep") {
    CHECK_THAT(header_error(raw_file("{\"w\": ", 0)),
               Contains("bad.safetensors") && Contains("JSON"));
    CHECK_THAT(header_error(raw_file("[1, 2]", 0)),
               Contains("bad.safetensors") && Contains("object"));
    CHECK_THAT(header_error(raw_file(std::string(5000, '[') + std::string(5000, ']'), 0)),
               Contains("bad.safetensors"));
    CHECK_THAT(header_error(raw_file("\xff\xfe", 0)), Contains("bad.safetensors"));
  }
  SECTION("non-object entries and bad fields") {
    CHECK_THAT(header_error(raw_file(R"({"w": 5})", 0)),
               Contains("bad.safetensors") && Contains("'w'") && Contains("not an object"));
    CHECK_THAT(header_error(raw_file(R"({"w": {"shape": [1], "data_offsets": [0, 4]}})", 4)),
               Contains("'w'") && Contains("dtype"));
    CHECK_THAT(
        header_error(raw_file(R"({"w": {"dtype": "F32", "shape": 1, "data_offsets": [0, 4]}})", 4)),
        Contains("'w'") && Contains("shape"));
    CHECK_THAT(header_error(raw_file(
                   R"({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", 4)),
               Contains("'w'") && Contains("shape"));
    CHECK_THAT(header_error(raw_file(
                   R"({"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})", 4)),
               Contains("'w'"));
    CHECK_THAT(
        header_error(raw_file(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})", 4)),
        Contains("'w'") && Contains("data_offsets"));
    CHECK_THAT(header_error(raw_file(
                   R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, -4]}})", 4)),
               Contains("'w'") && Contains("data_offsets"));
    CHECK_THAT(
        header_error(raw_file(
            R"({"w": {"dtype": "F32", "shape": [1,1,1,1,1,1,1,1,1], "data_offsets": [0, 4]}})", 4)),
        Contains("'w'") && Contains("rank"));
    CHECK_THAT(header_error(raw_file(R"({"__metadata__": {"a": 1}})", 0)),
               Contains("bad.safetensors") && Contains("__metadata__"));
  }
  SECTION("unknown dtype") {
    CHECK_THAT(header_error(raw_file(
                   R"({"w": {"dtype": "F8_E5M2", "shape": [1], "data_offsets": [0, 1]}})", 1)),
               Contains("bad.safetensors") && Contains("'w'") && Contains("F8_E5M2"));
  }
  SECTION("shape and byte range disagree") {
    CHECK_THAT(header_error(
                   raw_file(R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", 8)),
               Contains("bad.safetensors") && Contains("'w'") && Contains("need 12"));
    // Overflowing element counts are caught, not wrapped around.
    CHECK_THAT(
        header_error(raw_file(
            R"({"w": {"dtype": "F64", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}})",
            0)),
        Contains("'w'"));
    CHECK_THAT(
        header_error(raw_file(
            R"({"w": {"dtype": "F64", "shape": [2305843009213693952], "data_offsets": [0, 0]}})",
            0)),
        Contains("'w'"));
  }
  SECTION("offsets out of range") {
    CHECK_THAT(header_error(
                   raw_file(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", 4)),
               Contains("bad.safetensors") && Contains("'w'") && Contains("out of range"));
    CHECK_THAT(header_error(
                   raw_file(R"({"w": {"dtype": "F32", "shape": [0], "data_offsets": [8, 4]}})", 8)),
               Contains("'w'") && Contains("begin > end"));
    CHECK_THAT(
        header_error(raw_file(
            R"({"w": {"dtype": "U8", "shape": [1], "data_offsets": [18446744073709551615, 18446744073709551615]}})",
            4)),
        Contains("'w'"));
  }
  SECTION("overlapping tensors") {
    CHECK_THAT(
        header_error(raw_file(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                         "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                              12)),
        Contains("bad.safetensors") && Contains("'a'") && Contains("'b'") && Contains("overlap"));
    CHECK_THAT(
        header_error(raw_file(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                         "b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})",
                              8)),
        Contains("overlap"));
    // An empty tensor between them must not hide the overlap of a and c.
    CHECK_THAT(
        header_error(raw_file(R"({"a": {"dtype": "U8", "shape": [100], "data_offsets": [0, 100]},
                                         "b": {"dtype": "U8", "shape": [0], "data_offsets": [50, 50]},
                                         "c": {"dtype": "U8", "shape": [20], "data_offsets": [60, 80]}})",
                              100)),
        Contains("'a'") && Contains("'c'") && Contains("overlap"));
    // Empty tensors may share offsets.
    const std::string shared =
        raw_file(R"({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
                                             "b": {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]}})",
                 4);
    CHECK_NOTHROW(mote::parse_safetensors_header(shared, shared.size(), "x"));
  }
  SECTION("duplicate tensor names") {
    CHECK_THAT(header_error(raw_file(R"({"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]},
                                         "a": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}})",
                                     2)),
               Contains("bad.safetensors") && Contains("'a'") && Contains("twice"));
  }
}

TEST_CASE("safetensors: hostile files and checkpoints fail with CheckpointError", "[safetensors]") {
  TempDir tmp;
  const fs::path file = tmp.path / "model.safetensors";

  SECTION("files") {
    write_bytes(file, "abc");
    CHECK_THAT(checkpoint_error([&] { mote::SafetensorsFile f(file); }),
               Contains(file.string()) && Contains("truncated"));
    write_bytes(file,
                raw_file(R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", 8));
    CHECK_THAT(checkpoint_error([&] { mote::Checkpoint::open(tmp.path); }),
               Contains(file.string()) && Contains("'w'") && Contains("out of range"));
    fs::remove(file);
    CHECK_THAT(checkpoint_error([&] { mote::Checkpoint::open(tmp.path); }),
               Contains(tmp.path.string()));
    CHECK_THAT(checkpoint_error([&] { mote::SafetensorsFile f(tmp.path); }),
               Contains(tmp.path.string()));
  }

  SECTION("misaligned tensors are copied, not read unaligned") {
    write_bytes(file, raw_file(R"({"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]},
                                   "w": {"dtype": "F32", "shape": [1], "data_offsets": [1, 5]}})",
                               5));
    auto ckpt = mote::Checkpoint::open(tmp.path);
    CHECK(ckpt->tensor("w").item<float>() == 0.0f);
  }

  SECTION("Checkpoint::tensor with wrong dtype, wrong shape, missing tensor") {
    mote::write_safetensors(file, {{"w", at::zeros({2, 3}, at::kBFloat16), {}}});
    auto ckpt = mote::Checkpoint::open(tmp.path);
    CHECK_THAT(checkpoint_error([&] {
                 ckpt->tensor("w", {2, 3}, {mote::DType::F32, mote::DType::F8_E4M3});
               }),
               Contains(file.string()) && Contains("'w'") && Contains("BF16") && Contains("F32"));
    CHECK_THAT(
        checkpoint_error([&] {
          ckpt->tensor("w", {3, 2}, {mote::DType::BF16});
        }),
        Contains(file.string()) && Contains("'w'") && Contains("[2, 3]") && Contains("[3, 2]"));
    CHECK_THAT(checkpoint_error([&] {
                 ckpt->tensor("v", {2, 3}, {mote::DType::BF16});
               }),
               Contains(file.string()) && Contains("'v'"));
    CHECK_THAT(checkpoint_error([&] { ckpt->tensor("v"); }), Contains("'v'"));
  }

  SECTION("sharded index problems") {
    mote::write_sharded_safetensors(tmp.path,
                                    {{"a", at::zeros({100}), {}}, {"b", at::ones({100}), {}}}, 400);
    const fs::path index_path = tmp.path / "model.safetensors.index.json";
    std::ifstream in(index_path);
    const json index = json::parse(in);
    in.close();
    auto with_index = [&](const json& j) {
      std::ofstream out(index_path, std::ios::trunc);
      out << j.dump();
    };
    REQUIRE_NOTHROW(mote::Checkpoint::open(tmp.path));

    json missing_shard = index;
    missing_shard["weight_map"]["b"] = "model-00009-of-00009.safetensors";
    with_index(missing_shard);
    CHECK_THAT(checkpoint_error([&] { mote::Checkpoint::open(tmp.path); }),
               Contains(index_path.string()) && Contains("model-00009-of-00009.safetensors"));

    json not_in_shard = index;
    not_in_shard["weight_map"]["c"] = "model-00001-of-00002.safetensors";
    with_index(not_in_shard);
    CHECK_THAT(checkpoint_error([&] { mote::Checkpoint::open(tmp.path); }),
               Contains(index_path.string()) && Contains("'c'") &&
                   Contains("model-00001-of-00002.safetensors"));

    json wrong_shard = index;
    wrong_shard["weight_map"]["a"] = "model-00002-of-00002.safetensors";
    with_index(wrong_shard);
    CHECK_THAT(checkpoint_error([&] { mote::Checkpoint::open(tmp.path); }),
               Contains(index_path.string()) && Contains("'a'"));

    json escape = index;
    escape["weight_map"]["a"] = "../model-00001-of-00002.safetensors";
    with_index(escape);
    CHECK_THAT(checkpoint_error([&] { mote::Checkpoint::open(tmp.path); }),
               Contains(index_path.string()) && Contains("leaves the directory"));

    with_index(json{{"weight_map", {{"a", 7}}}});
    CHECK_THAT(checkpoint_error([&] { mote::Checkpoint::open(tmp.path); }),
               Contains(index_path.string()) && Contains("'a'"));
    with_index(json::array());
    CHECK_THAT(checkpoint_error([&] { mote::Checkpoint::open(tmp.path); }),
               Contains(index_path.string()) && Contains("weight_map"));
    write_bytes(index_path, "{not json");
    CHECK_THAT(checkpoint_error([&] { mote::Checkpoint::open(tmp.path); }),
               Contains(index_path.string()) && Contains("JSON"));
  }
}
