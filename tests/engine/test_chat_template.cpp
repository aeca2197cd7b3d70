// DeepSeek chat templates rendered natively must equal what Hugging Face's Jinja templates give.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/tokenizer/chat_template.h"

using mote::ChatMessage;
using mote::ChatTemplate;

namespace {

const std::vector<ChatMessage> kConversation = {
    {"system", "You are helpful."},
    {"user", "What is 2+2?"},
    {"assistant", "<think>\nSimple.\n</think>\n\n4"},
    {"system", "Answer briefly."},
    {"user", "And 3+3?"},
};

std::filesystem::path write_config(const std::string& name, const nlohmann::json& config) {
  const auto path = std::filesystem::temp_directory_path() / ("mote-chat-" + name + ".json");
  std::ofstream(path) << config.dump();
  return path;
}

// Excerpts of the chat_template strings of DeepSeek's tokenizer_config.json files, reduced to
// the parts the recognizer looks at.
const std::string kV3Jinja =
    "{{bos_token}}{{ns.system_prompt}}{%- for message in messages %}{%- if message['role'] == "
    "'user' %}{{'<｜User｜>' + message['content']}}{%- endif %}{{'<｜Assistant｜>' + "
    "message['content'] + '<｜end▁of▁sentence｜>'}}{% if add_generation_prompt and not ns.is_tool "
    "%}{{'<｜Assistant｜>'}}{% endif %}";
const std::string kR1Jinja =
    "{{bos_token}}{{ns.system_prompt}}{{'<｜User｜>' + message['content']}}{% set content = "
    "message['content'] %}{% if '</think>' in content %}{% set content = "
    "content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + "
    "'<｜end▁of▁sentence｜>'}}{% if add_generation_prompt and not ns.is_tool "
    "%}{{'<｜Assistant｜><think>\\n'}}{% endif %}";
const std::string kR1EarlyJinja =
    "{{bos_token}}{{ns.system_prompt}}{{'<｜User｜>' + message['content']}}{% set content = "
    "message['content'] %}{% if '</think>' in content %}{% set content = "
    "content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + "
    "'<｜end▁of▁sentence｜>'}}{% if add_generation_prompt and not ns.is_tool "
    "%}{{'<｜Assistant｜>'}}{% endif %}";
const std::string kV2Jinja =
    "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif "
    "%}{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ 'User: ' + "
    "message['content'] + '\\n\\n' }}{% elif message['role'] == 'assistant' %}{{ 'Assistant: ' + "
    "message['content'] + eos_token }}{% elif message['role'] == 'system' %}{{ message['content'] "
    "+ '\\n\\n' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif "
    "%}";

}  // namespace

TEST_CASE("R1 keeps one system prompt, strips earlier reasoning, opens <think>",
          "[chat-template]") {
  const auto r1 = ChatTemplate::named("deepseek-r1");
  CHECK(r1.render(kConversation, true) ==
        "<｜begin▁of▁sentence｜>Answer briefly.<｜User｜>What is 2+2?<｜Assistant｜>\n\n4"
        "<｜end▁of▁sentence｜><｜User｜>And 3+3?<｜Assistant｜><think>\n");
  CHECK(r1.render(kConversation, false) ==
        "<｜begin▁of▁sentence｜>Answer briefly.<｜User｜>What is 2+2?<｜Assistant｜>\n\n4"
        "<｜end▁of▁sentence｜><｜User｜>And 3+3?");
  // Only what follows the last </think> stays.
  CHECK(r1.render({{"assistant", "a</think>b</think>c"}}, false) ==
        "<｜begin▁of▁sentence｜><｜Assistant｜>c<｜end▁of▁sentence｜>");
}

TEST_CASE("R1's first release ends the prompt with the bare assistant marker", "[chat-template]") {
  const auto early = ChatTemplate::named("deepseek-r1-early");
  CHECK(early.kind() == ChatTemplate::Kind::DeepSeekR1Early);
  CHECK(early.render(kConversation, true) ==
        "<｜begin▁of▁sentence｜>Answer briefly.<｜User｜>What is 2+2?<｜Assistant｜>\n\n4"
        "<｜end▁of▁sentence｜><｜User｜>And 3+3?<｜Assistant｜>");
}

TEST_CASE("V3 joins system prompts and keeps assistant turns whole", "[chat-template]") {
  const auto v3 = ChatTemplate::named("deepseek-v3");
  CHECK(v3.render(kConversation, true) ==
        "<｜begin▁of▁sentence｜>You are helpful.\n\nAnswer briefly.<｜User｜>What is 2+2?"
        "<｜Assistant｜><think>\nSimple.\n</think>\n\n4<｜end▁of▁sentence｜><｜User｜>And 3+3?"
        "<｜Assistant｜>");
  // Tool outputs: a block closed before the next turn, and no generation prompt after it.
  CHECK(v3.render({{"user", "q"}, {"tool", "r1"}, {"tool", "r2"}}, true) ==
        "<｜begin▁of▁sentence｜><｜User｜>q<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>r1"
        "<｜tool▁output▁end｜>\n<｜tool▁output▁begin｜>r2<｜tool▁output▁end｜><"
        "｜tool▁outputs▁end｜>");
  CHECK(
      v3.render({{"tool", "r"}, {"assistant", "done"}}, true) ==
      "<｜begin▁of▁sentence｜><｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>r<｜tool▁output▁end｜>"
      "<｜tool▁outputs▁end｜>done<｜end▁of▁sentence｜><｜Assistant｜>");
}

TEST_CASE("V2 uses plain User:/Assistant: turns", "[chat-template]") {
  const auto v2 = ChatTemplate::named("deepseek-v2");
  CHECK(
      v2.render({{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello"}, {"user", "Bye"}},
                true) ==
      "<｜begin▁of▁sentence｜>Be brief.\n\nUser: Hi\n\nAssistant: Hello<｜end▁of▁sentence｜>"
      "User: Bye\n\nAssistant:");
  CHECK(v2.render({{"user", "Hi"}}, false) == "<｜begin▁of▁sentence｜>User: Hi\n\n");
  CHECK_THROWS_AS(v2.render({{"tool", "x"}}, false), mote::UsageError);
}

TEST_CASE("unknown roles and names are errors naming them", "[chat-template]") {
  CHECK_THROWS_WITH(ChatTemplate::named("deepseek-v3").render({{"narrator", "x"}}, false),
                    Catch::Contains("narrator"));
  CHECK_THROWS_WITH(ChatTemplate::named("llama-3"), Catch::Contains("llama-3"));
  CHECK(ChatTemplate::named("deepseek-v2").name() == "deepseek-v2");
}

TEST_CASE("templates are recognized in tokenizer_config.json", "[chat-template]") {
  using Kind = ChatTemplate::Kind;
  CHECK(ChatTemplate::recognize(kV3Jinja) == Kind::DeepSeekV3);
  CHECK(ChatTemplate::recognize(kR1Jinja) == Kind::DeepSeekR1);
  CHECK(ChatTemplate::recognize(kR1EarlyJinja) == Kind::DeepSeekR1Early);
  CHECK(ChatTemplate::recognize(kV2Jinja) == Kind::DeepSeekV2);
  CHECK_FALSE(ChatTemplate::recognize("{% for m in messages %}<|im_start|>{% endfor %}"));

  const auto r1_config = write_config(
      "r1", {{"chat_template", kR1Jinja},
             {"bos_token", {{"__type", "AddedToken"}, {"content", "<｜begin▁of▁sentence｜>"}}},
             {"eos_token", "<｜end▁of▁sentence｜>"}});
  CHECK(ChatTemplate::from_tokenizer_config(r1_config).kind() == Kind::DeepSeekR1);
  CHECK(ChatTemplate::from_tokenizer_config(r1_config, std::string("deepseek-v2")).kind() ==
        Kind::DeepSeekV2);

  const auto list_config = write_config(
      "list",
      {{"chat_template", nlohmann::json::array({{{"name", "default"}, {"template", kV2Jinja}}})}});
  CHECK(ChatTemplate::from_tokenizer_config(list_config).kind() == Kind::DeepSeekV2);

  const auto unknown_config = write_config("unknown", {{"chat_template", "{{ messages }}"}});
  CHECK_THROWS_AS(ChatTemplate::from_tokenizer_config(unknown_config), mote::ConfigError);
  CHECK(ChatTemplate::from_tokenizer_config(unknown_config, std::string("deepseek-r1-early"))
            .kind() == Kind::DeepSeekR1Early);
  const auto none_config = write_config("none", nlohmann::json::object());
  CHECK_THROWS_WITH(ChatTemplate::from_tokenizer_config(none_config),
                    Catch::Contains("no chat_template"));
  CHECK_THROWS_AS(ChatTemplate::from_tokenizer_config("/nonexistent/tokenizer_config.json"),
                  mote::ConfigError);
  for (const auto& path : {r1_config, list_config, unknown_config, none_config}) {
    std::filesystem::remove(path);
  }
}
