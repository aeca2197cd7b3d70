// DeepSeek-V3/R1's real tokenizer.json against the Hugging Face reference ids in
// tests/data/tokenizer_cases.jsonl. The file is fetched by the fetch_deepseek_tokenizer CTest
// fixture (scripts/fetch-deepseek-tokenizer); to run these directly, fetch it and set
// MOTE_DEEPSEEK_TOKENIZER_DIR or use the build's fixtures/ directory.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "engine/tokenizer/chat_template.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/tokenizer_streaming_decoder.h"
#include "engine/tokenizer/tokenizer_utf8.h"

using json = nlohmann::json;

namespace {

std::filesystem::path deepseek_dir() {
  if (const char* env = std::getenv("MOTE_DEEPSEEK_TOKENIZER_DIR")) return env;
  return MOTE_DEEPSEEK_TOKENIZER_DIR;
}

std::shared_ptr<const mote::Tokenizer> deepseek() {
  static const auto tokenizer = [] {
    const auto path = deepseek_dir() / "tokenizer.json";
    if (!std::filesystem::exists(path)) {
      FAIL("missing " << path << ": run scripts/fetch-deepseek-tokenizer " << deepseek_dir()
                      << " (the CTest fixture fetch_deepseek_tokenizer does this)");
    }
    return mote::Tokenizer::from_file(path);
  }();
  return tokenizer;
}

struct Case {
  std::string text;
  std::vector<int64_t> ids;
};

std::vector<Case> reference_cases() {
  std::ifstream in(std::string(MOTE_TEST_DATA_DIR) + "/tokenizer_cases.jsonl");
  REQUIRE(in);
  std::vector<Case> cases;
  std::string line;
  while (std::getline(in, line)) {
    const json j = json::parse(line);
    cases.push_back({j.at("text").get<std::string>(), j.at("ids").get<std::vector<int64_t>>()});
  }
  return cases;
}

bool is_valid_utf8(const std::string& s) {
  return mote::utf8::first_invalid_offset(s) == s.size();
}

}  // namespace

TEST_CASE("DeepSeek tokenizer encodes all reference cases exactly", "[deepseek-tokenizer]") {
  const auto tok = deepseek();
  const auto cases = reference_cases();
  REQUIRE(cases.size() == 40);
  int matched = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    INFO("case line " << i + 1 << ": " << cases[i].text.substr(0, 80));
    CHECK(tok->encode(cases[i].text) == cases[i].ids);
    matched += tok->encode(cases[i].text) == cases[i].ids;
  }
  CHECK(matched == 40);
}

TEST_CASE("DeepSeek tokenizer decodes all reference cases back to the text",
          "[deepseek-tokenizer]") {
  const auto tok = deepseek();
  for (const Case& c : reference_cases()) {
    INFO(c.text.substr(0, 80));
    CHECK(tok->decode(c.ids) == c.text);
  }
}

TEST_CASE("DeepSeek streaming decode of every case, one id at a time, gives the text",
          "[deepseek-tokenizer]") {
  const auto tok = deepseek();
  for (const Case& c : reference_cases()) {
    INFO(c.text.substr(0, 80));
    mote::StreamingDecoder stream(tok);
    std::string streamed;
    for (int64_t id : c.ids) {
      const std::string piece = stream.push(id);
      REQUIRE(is_valid_utf8(piece));
      CHECK(piece.find("\xEF\xBF\xBD") == std::string::npos);
      streamed += piece;
    }
    const std::string tail = stream.finish();
    CHECK(tail.empty());
    streamed += tail;
    CHECK(streamed == c.text);
  }
}

TEST_CASE("DeepSeek vocabulary facts", "[deepseek-tokenizer]") {
  const auto tok = deepseek();
  CHECK(tok->vocab_size() == 128815);
  CHECK(tok->token_to_id("<｜begin▁of▁sentence｜>") == 0);
  CHECK(tok->token_to_id("<｜User｜>") == 128803);
  CHECK(tok->token_to_id("<｜Assistant｜>") == 128804);
  CHECK(tok->token_to_id("!") == 3);
  CHECK(tok->is_special(0));
  CHECK(tok->is_special(128805));  // <|EOT|>
  CHECK(tok->is_special(128500));  // a placeholder
  CHECK_FALSE(tok->is_special(128803));
  CHECK_FALSE(tok->is_special(5000));
  CHECK(tok->id_to_token(128804) == "<｜Assistant｜>");
  CHECK(tok->token_bytes(128804) == "<｜Assistant｜>");
  CHECK(tok->decode({0, 19923, 1}, true) == "Hello");
  // An ASCII look-alike of a chat marker is plain text.
  const auto ascii = tok->encode("<|User|>");
  CHECK(std::find(ascii.begin(), ascii.end(), 128803) == ascii.end());
}

TEST_CASE("R1's added tokens <think> and </think> encode as single ids", "[deepseek-tokenizer]") {
  // R1's tokenizer.json differs from V3's only in ids 128798/128799; build it from V3's.
  std::ifstream in(deepseek_dir() / "tokenizer.json");
  REQUIRE(in);
  json doc = json::parse(in);
  for (json& added : doc["added_tokens"]) {
    if (added["id"] == 128798) added["content"] = "<think>";
    if (added["id"] == 128799) added["content"] = "</think>";
    if (added["id"] == 128798 || added["id"] == 128799) {
      added["special"] = false;
      added["normalized"] = true;
    }
  }
  const auto r1 = mote::Tokenizer::from_json_text(doc.dump(), "R1 tokenizer.json");
  const std::string text = "<think>\nLet me reason step by step.\n</think>\n\nThe answer is 4.";
  CHECK(r1->encode(text) == std::vector<int64_t>{128798, 201, 5718, 678, 3986, 3132, 513, 3132, 603,
                                                 128799, 271, 671, 3287, 344, 223, 22, 16});
  CHECK(r1->decode(r1->encode(text)) == text);
}

TEST_CASE("DeepSeek tokenizer_config.json's template is recognized as V3 and encodes",
          "[deepseek-tokenizer]") {
  const auto chat =
      mote::ChatTemplate::from_tokenizer_config(deepseek_dir() / "tokenizer_config.json");
  CHECK(chat.kind() == mote::ChatTemplate::Kind::DeepSeekV3);
  CHECK(chat.bos_token() == "<｜begin▁of▁sentence｜>");
  CHECK(chat.eos_token() == "<｜end▁of▁sentence｜>");
  const auto r1 = mote::ChatTemplate::from_tokenizer_config(
      deepseek_dir() / "tokenizer_config.json", std::string("deepseek-r1"));
  CHECK(r1.kind() == mote::ChatTemplate::Kind::DeepSeekR1);
  const auto ids = deepseek()->encode(chat.render({{"user", "Hi"}}, true));
  CHECK(ids == std::vector<int64_t>{0, 128803, *deepseek()->token_to_id("Hi"), 128804});
}

TEST_CASE("mote-engine tokenize round-trips the reference cases", "[deepseek-tokenizer]") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("mote-tokenize-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto cases = reference_cases();
  {
    std::ofstream texts(dir / "texts.jsonl");
    for (const Case& c : cases) texts << json{{"text", c.text}}.dump() << "\n";
    texts << "this line is not json\n";
    std::ofstream ids(dir / "ids.jsonl");
    for (const Case& c : cases) ids << json{{"ids", c.ids}}.dump() << "\n";
  }
  const std::string exe =
      std::string(MOTE_BIN_DIR) + "/mote-engine tokenize --tokenizer " + deepseek_dir().string();
  auto run = [&](const std::string& args, const std::string& input, const std::string& output) {
    const std::string command = exe + " " + args + " < " + (dir / input).string() + " > " +
                                (dir / output).string() + " 2>/dev/null";
    return std::system(command.c_str());
  };
  CHECK(run("", "texts.jsonl", "ids.out") != 0);  // the malformed last line sets the exit code
  CHECK(run("--decode", "ids.jsonl", "texts.out") == 0);
  std::ifstream ids_out(dir / "ids.out"), texts_out(dir / "texts.out");
  std::string line;
  for (const Case& c : cases) {
    REQUIRE(std::getline(ids_out, line));
    CHECK(json::parse(line).at("ids").get<std::vector<int64_t>>() == c.ids);
    REQUIRE(std::getline(texts_out, line));
    CHECK(json::parse(line).at("text").get<std::string>() == c.text);
  }
  REQUIRE(std::getline(ids_out, line));
  CHECK_THAT(json::parse(line).at("error").get<std::string>(), Catch::Contains("line 41"));
  std::filesystem::remove_all(dir);
}
