#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "sessions/capability.h"
#include "sessions/session_error.h"
#include "sessions/session_export.h"
#include "sessions/session_store.h"

using namespace mote;
using namespace mote::sessions;
namespace fs = std::filesystem;

TEST_CASE("answer_states: the answer after the think block, the last number", "[capability]") {
  const std::string right = "Okay, 4 plus 3 is 7.\n</think>\n\n4 plus 3 equals 7.";
  CHECK(answer_states(right, "7"));
  CHECK_FALSE(answer_states(right, "3"));  // an operand, not the answer's last number
  CHECK_FALSE(answer_states("Okay, 4 plus 3 is 7.\n</think>\n\n4 plus 3 equals 8.", "7"));
  // The reasoning's number does not count; a completion cut off while thinking has no answer.
  CHECK_FALSE(answer_states("Okay, 4 plus 3 is 7.", "7"));
  CHECK(answer_states("Okay, 4 plus 3 is 7.", "7", /*prompt_opens_think=*/false));
  CHECK_FALSE(answer_states("<think>4 plus 3 is 7.\n</think>\n\nThe answer is 17.", "7"));
  CHECK(answer_states("</think>\n\n4加3等于7。", "7"));
  CHECK(answer_states("</think>\n\nIt is 3.5.", "3.5"));
  CHECK_FALSE(answer_states("</think>\n\nIt is 3.5.", "5"));
  CHECK_FALSE(answer_states("</think>\n\n", "7"));
  CHECK_FALSE(answer_states(right, ""));
  // Text: a whole word anywhere in the answer.
  CHECK(answer_states("</think>\n\nThe capital is Paris.", "Paris"));
  CHECK_FALSE(answer_states("</think>\n\nThe capital is Parisville.", "Paris"));
  CHECK(last_number("a 12 b 345.") == "345");
  CHECK(last_number("x 1.25") == "1.25");
  CHECK(last_number("none") == "");
}

namespace {

struct CapabilitySession {
  fs::path path;
  SessionStore store;
  std::int64_t dataset_id = 0;
  std::vector<StoredPrompt> prompts;

  static fs::path fresh_path() {
    auto p = fs::temp_directory_path() /
             ("mote_test_capability_" + std::to_string(::getpid()) + ".mote");
    for (const char* s : {"", "-wal", "-shm"}) fs::remove(p.string() + s);
    return p;
  }
  // Ten prompts "What is i plus 1 equal to?" with metadata expected = i + 1, and one without.
  CapabilitySession() : path(fresh_path()), store(SessionStore::create(path)) {
    Dataset d;
    d.name = "sums";
    for (int i = 1; i <= 10; ++i) {
      d.prompts.push_back({"What is " + std::to_string(i) + " plus 1 equal to?",
                           {{"expected", std::to_string(i + 1)}}});
    }
    d.prompts.push_back({"Tell me a story.", {}});
    dataset_id = store.add_dataset(d);
    prompts = store.prompts(dataset_id);
  }
  ~CapabilitySession() {
    for (const char* s : {"", "-wal", "-shm"}) fs::remove(path.string() + s);
  }
  // A run whose answer to prompt i (1-based) is i + 1 + error(i).
  std::int64_t run(const std::string& name, int (*error)(int)) {
    RunConfig c;
    c.dataset_id = dataset_id;
    c.name = name;
    c.model_id = "tiny";
    c.geometry = ModelGeometry{{3, 4}, 6, 2};
    c.max_tokens = 48;
    const std::int64_t id = store.create_run(c);
    for (int i = 1; i <= 11; ++i) {
      AnswerRecord a;
      a.text = "Okay.\n</think>\n\n" + std::to_string(i) + " plus 1 equals " +
               std::to_string(i + 1 + error(i)) + ".";
      a.finish_reason = "stop";
      store.record_answer(id, prompts[i - 1].id, a);
    }
    return id;
  }
};

}  // namespace

TEST_CASE("evaluate_capability over a session: accuracy, drop, broken prompts, sign test",
          "[capability]") {
  CapabilitySession s;
  // Original: wrong on 9 and 10. Tuned: wrong on 2, 3, 4, 10 (breaks 2, 3, 4; mends 9).
  const auto original = s.run("original", [](int i) { return i >= 9 ? 1 : 0; });
  const auto tuned = s.run("tuned", [](int i) { return (i >= 2 && i <= 4) || i == 10 ? -1 : 0; });
  const CapabilityComparison c = evaluate_capability(s.store, original, tuned, "expected");
  CHECK(c.n_prompts == 10);  // the story has no expected answer
  CHECK(c.original.correct == 8);
  CHECK(c.tuned.correct == 6);
  CHECK(c.drop_points() == Approx(20.0));
  CHECK(c.lost == 3);
  CHECK(c.gained == 1);
  CHECK(c.lost_prompts ==
        std::vector<std::int64_t>{s.prompts[1].id, s.prompts[2].id, s.prompts[3].id});
  CHECK(c.gained_prompts == std::vector<std::int64_t>{s.prompts[8].id});
  // P(X >= 3), X ~ Binomial(4, 1/2) = 5/16.
  CHECK(c.p_worse == Approx(5.0 / 16.0));
  CHECK(c.original.ci().low < 0.8);
  CHECK(c.original.ci().high > 0.8);

  const StoredResult stored = s.store.load_result(c.result_id);
  CHECK(stored.kind == "capability");
  CHECK(stored.json.at("original").at("correct") == 8);
  CHECK(stored.json.at("tuned_run") == tuned);
  CHECK(stored.json.at("prompts").size() == 10);

  const fs::path out = s.path.parent_path() / ("capability_out_" + std::to_string(::getpid()));
  fs::remove_all(out);
  const auto files = export_result(s.store, c.result_id, out);
  const fs::path csv = out / ("capability-" + std::to_string(c.result_id) + "_prompts.csv");
  REQUIRE(fs::exists(csv));
  std::ifstream in(csv);
  std::string header, first;
  std::getline(in, header);
  std::getline(in, first);
  CHECK(header == "prompt_id,expected,original_right,tuned_right");
  CHECK(first == std::to_string(s.prompts[0].id) + ",2,1,1");
  fs::remove_all(out);

  // The same run twice: nothing changes.
  const CapabilityComparison same = evaluate_capability(s.store, original, original, "expected");
  CHECK(same.drop_points() == 0.0);
  CHECK(same.p_worse == 1.0);
}

TEST_CASE("evaluate_capability names what is missing", "[capability]") {
  CapabilitySession s;
  const auto original = s.run("original", [](int) { return 0; });
  const auto tuned = s.run("tuned", [](int) { return 0; });
  REQUIRE_THROWS_WITH(evaluate_capability(s.store, original, tuned, "answer"),
                      Catch::Contains("no prompt with metadata \"answer\""));
  Dataset other;
  other.name = "other";
  other.prompts.push_back({"What is 1 plus 1 equal to?", {{"expected", "2"}}});
  RunConfig c;
  c.dataset_id = s.store.add_dataset(other);
  c.name = "elsewhere";
  c.model_id = "tiny";
  c.geometry = ModelGeometry{{3, 4}, 6, 2};
  const auto elsewhere = s.store.create_run(c);
  REQUIRE_THROWS_WITH(evaluate_capability(s.store, original, elsewhere, "expected"),
                      Catch::Contains("use different datasets"));
}
