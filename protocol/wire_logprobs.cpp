#include "protocol/wire_logprobs.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "protocol/wire_error.h"

namespace mote {
namespace {

using json = nlohmann::json;

json bytes_json(const std::string& bytes) {
  json out = json::array();
  for (const char c : bytes) out.push_back(static_cast<int>(static_cast<unsigned char>(c)));
  return out;
}

const json& member(const json& j, const char* key, const std::string& where) {
  const auto it = j.find(key);
  if (it == j.end()) throw WireError(where + "." + key + " is missing");
  return *it;
}

std::string text_of(const json& j, const std::string& where) {
  if (!j.is_string()) throw WireError(where + " is not a string");
  return j.get<std::string>();
}

double number_of(const json& j, const std::string& where) {
  if (!j.is_number()) throw WireError(where + " is not a number");
  return j.get<double>();
}

std::string bytes_of(const json& j, const std::string& where) {
  if (j.is_null()) return {};
  if (!j.is_array()) throw WireError(where + " is not an array of bytes");
  std::string out;
  for (const json& b : j) {
    if (!b.is_number_integer() || b.get<int>() < 0 || b.get<int>() > 255)
      throw WireError(where + " holds a value that is not a byte");
    out.push_back(static_cast<char>(b.get<int>()));
  }
  return out;
}

const json& array_member(const json& j, const char* key, const std::string& where) {
  const json& a = member(j, key, where);
  if (!a.is_array()) throw WireError(where + "." + key + " is not an array");
  return a;
}

}  // namespace

json Logprobs::to_chat_json() const {
  json content = json::array();
  for (const TokenLogprob& t : tokens) {
    json top = json::array();
    for (const TopLogprob& a : t.top)
      top.push_back({{"token", a.token}, {"logprob", a.logprob}, {"bytes", bytes_json(a.bytes)}});
    content.push_back({{"token", t.token},
                       {"logprob", t.logprob ? json(*t.logprob) : json(nullptr)},
                       {"bytes", bytes_json(t.bytes)},
                       {"top_logprobs", std::move(top)}});
  }
  return {{"content", std::move(content)}, {"refusal", nullptr}};
}

json Logprobs::to_completion_json() const {
  json toks = json::array(), lps = json::array(), tops = json::array(), offsets = json::array();
  for (const TokenLogprob& t : tokens) {
    toks.push_back(t.token);
    lps.push_back(t.logprob ? json(*t.logprob) : json(nullptr));
    if (t.logprob) {
      json top = json::object();
      // Two tokens with one text (rare: distinct byte sequences that decode alike) share a key;
      // the more likely one, which comes first, keeps it.
      for (const TopLogprob& a : t.top)
        if (!top.contains(a.token)) top[a.token] = a.logprob;
      tops.push_back(std::move(top));
    } else {
      tops.push_back(nullptr);
    }
    offsets.push_back(t.text_offset);
  }
  return {{"tokens", std::move(toks)},
          {"token_logprobs", std::move(lps)},
          {"top_logprobs", std::move(tops)},
          {"text_offset", std::move(offsets)}};
}

Logprobs Logprobs::from_chat_json(const json& j) {
  if (!j.is_object()) throw WireError("logprobs is not an object");
  Logprobs out;
  const json& content = array_member(j, "content", "logprobs");
  for (size_t i = 0; i < content.size(); ++i) {
    const std::string at = "logprobs.content[" + std::to_string(i) + "]";
    const json& c = content[i];
    if (!c.is_object()) throw WireError(at + " is not an object");
    TokenLogprob t;
    t.token = text_of(member(c, "token", at), at + ".token");
    if (const json& lp = member(c, "logprob", at); !lp.is_null())
      t.logprob = number_of(lp, at + ".logprob");
    if (c.contains("bytes")) t.bytes = bytes_of(c.at("bytes"), at + ".bytes");
    if (c.contains("top_logprobs")) {
      const json& top = array_member(c, "top_logprobs", at);
      for (size_t k = 0; k < top.size(); ++k) {
        const std::string tat = at + ".top_logprobs[" + std::to_string(k) + "]";
        if (!top[k].is_object()) throw WireError(tat + " is not an object");
        TopLogprob a;
        a.token = text_of(member(top[k], "token", tat), tat + ".token");
        a.logprob = number_of(member(top[k], "logprob", tat), tat + ".logprob");
        if (top[k].contains("bytes")) a.bytes = bytes_of(top[k].at("bytes"), tat + ".bytes");
        t.top.push_back(std::move(a));
      }
    }
    out.tokens.push_back(std::move(t));
  }
  return out;
}

Logprobs Logprobs::from_completion_json(const json& j) {
  if (!j.is_object()) throw WireError("logprobs is not an object");
  const json& toks = array_member(j, "tokens", "logprobs");
  const json& lps = array_member(j, "token_logprobs", "logprobs");
  const json& tops = array_member(j, "top_logprobs", "logprobs");
  const json& offsets = array_member(j, "text_offset", "logprobs");
  if (lps.size() != toks.size() || tops.size() != toks.size() || offsets.size() != toks.size())
    throw WireError(
        "logprobs: tokens, token_logprobs, top_logprobs and text_offset differ in "
        "length");
  Logprobs out;
  for (size_t i = 0; i < toks.size(); ++i) {
    const std::string at = "logprobs[" + std::to_string(i) + "]";
    TokenLogprob t;
    t.token = text_of(toks[i], at + ".token");
    if (!lps[i].is_null()) t.logprob = number_of(lps[i], at + ".token_logprob");
    if (!tops[i].is_null()) {
      if (!tops[i].is_object()) throw WireError(at + ".top_logprobs is not an object");
      for (const auto& [token, lp] : tops[i].items())
        t.top.push_back({token, number_of(lp, at + ".top_logprobs." + token), {}});
      std::stable_sort(t.top.begin(), t.top.end(), [](const TopLogprob& a, const TopLogprob& b) {
        return a.logprob > b.logprob;
      });
    }
    if (!offsets[i].is_number_integer()) throw WireError(at + ".text_offset is not an integer");
    t.text_offset = offsets[i].get<std::int64_t>();
    out.tokens.push_back(std::move(t));
  }
  return out;
}

}  // namespace mote
