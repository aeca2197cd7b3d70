#include "protocol/wire_request.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "protocol/wire_logprobs.h"

namespace mote {
namespace {

using json = nlohmann::json;

[[noreturn]] void invalid(const std::string& message, const std::string& code = "invalid_value") {
  throw InvalidRequest(message, code);
}

std::string type_name(const json& j) {
  return j.is_number_float() ? "float" : j.type_name();
}

// Typed field access: a present field of the wrong type is a 400, never a silent default.
const json* field(const json& obj, const char* key) {
  const auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

[[noreturn]] void wrong_type(const std::string& where, const char* expected, const json& got) {
  invalid(where + " must be " + expected + ", got " + type_name(got), "invalid_type");
}

int64_t as_int(const json& j, const std::string& where, int64_t lo, int64_t hi) {
  if (j.is_number_unsigned()) {
    const auto v = j.get<uint64_t>();
    // nlohmann stores every non-negative integer as unsigned: check both bounds here too.
    if (v > static_cast<uint64_t>(hi) || (lo > 0 && v < static_cast<uint64_t>(lo)))
      invalid(where + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return static_cast<int64_t>(v);
  }
  if (!j.is_number_integer()) wrong_type(where, "an integer", j);
  const auto v = j.get<int64_t>();
  if (v < lo || v > hi)
    invalid(where + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return v;
}

double as_number(const json& j, const std::string& where, double lo, double hi) {
  if (!j.is_number()) wrong_type(where, "a number", j);
  const double v = j.get<double>();
  if (!(v >= lo && v <= hi))
    invalid(where + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return v;
}

bool as_bool(const json& j, const std::string& where) {
  if (!j.is_boolean()) wrong_type(where, "a boolean", j);
  return j.get<bool>();
}

const std::string& as_string(const json& j, const std::string& where) {
  if (!j.is_string()) wrong_type(where, "a string", j);
  return j.get_ref<const std::string&>();
}

// OpenAI content: a string, or an array of {"type": "text", "text": ...} parts.
std::string content_text(const json& j, const std::string& where) {
  if (j.is_string()) return j.get<std::string>();
  if (!j.is_array()) wrong_type(where, "a string or an array of text parts", j);
  std::string text;
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    if (!j[i].is_object()) wrong_type(at, "an object", j[i]);
    const json* type = field(j[i], "type");
    if (!type || !type->is_string() || *type != "text")
      invalid(at + ": only {\"type\": \"text\"} content parts are supported");
    const json* t = field(j[i], "text");
    if (!t) invalid(at + ".text is required");
    text += as_string(*t, at + ".text");
  }
  return text;
}

std::vector<ChatMessage> parse_messages(const json& j, const std::string& where,
                                        const RequestLimits& limits) {
  if (!j.is_array()) wrong_type(where, "an array", j);
  if (j.empty()) invalid(where + " must not be empty");
  if (j.size() > limits.max_messages)
    invalid(where + " has more than " + std::to_string(limits.max_messages) + " messages");
  static const std::set<std::string> roles = {"system", "user", "assistant", "tool"};
  std::vector<ChatMessage> out;
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    if (!j[i].is_object()) wrong_type(at, "an object", j[i]);
    const json* role = field(j[i], "role");
    if (!role) invalid(at + ".role is required");
    ChatMessage m{as_string(*role, at + ".role"), ""};
    if (!roles.count(m.role))
      invalid(at + ".role '" + m.role + "' is not one of system, user, assistant, tool");
    if (const json* c = field(j[i], "content")) m.content = content_text(*c, at + ".content");
    out.push_back(std::move(m));
  }
  return out;
}

Sampling parse_sampling(const json& body) {
  Sampling s;
  if (const json* t = field(body, "temperature"))
    s.temperature = as_number(*t, "temperature", 0, 100);
  if (const json* p = field(body, "top_p")) {
    s.top_p = as_number(*p, "top_p", 0, 1);
    if (*s.top_p <= 0) invalid("top_p must be in (0, 1]");
  }
  if (const json* k = field(body, "top_k")) s.top_k = as_int(*k, "top_k", 0, 1 << 30);
  if (const json* seed = field(body, "seed")) {
    // OpenAI seeds are signed 64-bit; negative ones are reinterpreted.
    if (seed->is_number_unsigned())
      s.seed = seed->get<uint64_t>();
    else
      s.seed = static_cast<uint64_t>(as_int(*seed, "seed", std::numeric_limits<int64_t>::min(),
                                            std::numeric_limits<int64_t>::max()));
  }
  return s;
}

std::vector<std::string> parse_stop(const json& body, const RequestLimits& limits) {
  const json* s = field(body, "stop");
  if (!s) return {};
  std::vector<std::string> out;
  if (s->is_string()) {
    out.push_back(s->get<std::string>());
  } else if (s->is_array()) {
    if (s->size() > limits.max_stop)
      invalid("stop has more than " + std::to_string(limits.max_stop) + " strings");
    for (size_t i = 0; i < s->size(); ++i)
      out.push_back(as_string((*s)[i], "stop[" + std::to_string(i) + "]"));
  } else {
    wrong_type("stop", "a string or an array of strings", *s);
  }
  for (const auto& x : out) {
    if (x.empty()) invalid("stop strings must not be empty");
    if (x.size() > 256) invalid("stop strings must be at most 256 bytes");
  }
  return out;
}

MoteOptions parse_mote(const json& body, const ModelGeometry& g, bool allow_capture) {
  MoteOptions m;
  const json* mote = field(body, "mote");
  if (!mote) return m;
  m.present = true;
  if (!mote->is_object()) wrong_type("mote", "an object", *mote);
  for (const auto& [key, value] : mote->items()) {
    if (key == "tuning") {
      // The project's one tuning rule set (protocol/tuning_spec.h): the 400's message is the one
      // the CLI and the workbench show for the same spec.
      if (!value.is_object()) wrong_type("mote.tuning", "an object", value);
      for (const char* list : {"suppress", "stimulate"}) {
        const json* entries = field(value, list);
        if (entries && entries->is_array() && entries->size() > g.n_cells())
          invalid(std::string("tuning: ") + list +
                      " has more entries than the model has routed experts",
                  "invalid_expert");
      }
      try {
        m.tuning = TuningSpec::from_json(value);
        m.tuning.validate(g);
      } catch (const TuningError& e) {
        invalid(e.what(), "invalid_expert");
      }
    } else if (key == "capture" && allow_capture) {
      const std::string& c = as_string(value, "mote.capture");
      const auto mode = capture_mode_from_name(c);
      if (!mode)
        invalid("mote.capture must be \"none\", \"ids\" or \"ids+weights\", got '" + c + "'");
      m.capture = *mode;
    } else {
      invalid("mote: unknown field '" + key + "' (allowed: tuning" +
                  (allow_capture ? ", capture)" : ")"),
              "unknown_field");
    }
  }
  return m;
}

// Fields OpenAI defines that this server cannot honour: an error rather than a silent ignore.
void reject_unsupported(const json& body) {
  if (const json* n = field(body, "n"); n && !(n->is_number_integer() && n->get<int64_t>() == 1))
    invalid("n: only n = 1 is supported", "unsupported");
  for (const char* key : {"tools", "functions", "logit_bias", "best_of", "suffix"})
    if (const json* v = field(body, key); v && !(v->is_array() && v->empty()) &&
                                          !(v->is_object() && v->empty()) &&
                                          !(v->is_number_integer() && v->get<int64_t>() == 1))
      invalid(std::string(key) + " is not supported", "unsupported");
  for (const char* key : {"presence_penalty", "frequency_penalty", "repetition_penalty"})
    if (const json* v = field(body, key)) as_number(*v, key, -2, 2);
}

void parse_common(const json& body, GenerateRequest& r, const RequestLimits& limits,
                  const ModelGeometry& g) {
  reject_unsupported(body);
  if (const json* m = field(body, "model")) r.model = as_string(*m, "model");
  const json* mt = field(body, "max_tokens");
  if (const json* mct = field(body, "max_completion_tokens")) mt = mct;
  if (mt) {
    // max_tokens 0 scores an echoed prompt without generating (what lm-evaluation-harness sends
    // for loglikelihood tasks may also be 1).
    r.max_tokens = as_int(*mt, "max_tokens", 0, limits.max_tokens);
    if (*r.max_tokens == 0 && !r.echo)
      invalid("max_tokens must be at least 1 (0 only with echo on /v1/completions)");
  }
  r.sampling = parse_sampling(body);
  r.stop = parse_stop(body, limits);
  if (const json* s = field(body, "stream")) r.stream = as_bool(*s, "stream");
  if (const json* so = field(body, "stream_options")) {
    if (!so->is_object()) wrong_type("stream_options", "an object", *so);
    if (const json* u = field(*so, "include_usage"))
      r.include_usage = as_bool(*u, "stream_options.include_usage");
  }
  r.mote = parse_mote(body, g, true);
}

}  // namespace

nlohmann::json parse_json_object(std::string_view body, size_t max_depth) {
  // nlohmann's parser is iterative but the value it builds is freed recursively: bound the depth
  // first with a scan that only tracks strings and brackets.
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (const char c : body) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        invalid("request body nests deeper than " + std::to_string(max_depth) + " levels",
                "too_deep");
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  json j;
  try {
    j = json::parse(body.begin(), body.end());
  } catch (const json::exception& e) {
    invalid(std::string("request body is not valid JSON: ") + e.what(), "invalid_json");
  }
  if (!j.is_object())
    invalid("request body must be a JSON object, got " + type_name(j), "invalid_type");
  return j;
}

GenerateRequest parse_chat_request(std::string_view text, const RequestLimits& limits,
                                   const ModelGeometry& g) {
  const json body = parse_json_object(text, limits.max_json_depth);
  GenerateRequest r;
  r.chat = true;
  const json* messages = field(body, "messages");
  if (!messages) invalid("messages is required");
  r.messages = parse_messages(*messages, "messages", limits);
  if (const json* e = field(body, "echo"); e && as_bool(*e, "echo"))
    invalid("echo is not supported on /v1/chat/completions (use /v1/completions)", "unsupported");
  const json* top = field(body, "top_logprobs");
  if (const json* l = field(body, "logprobs"); l && as_bool(*l, "logprobs"))
    r.logprobs = top ? as_int(*top, "top_logprobs", 0, kMaxTopLogprobs) : 0;
  else if (top)
    invalid("top_logprobs needs logprobs: true");
  parse_common(body, r, limits, g);
  return r;
}

GenerateRequest parse_completion_request(std::string_view text, const RequestLimits& limits,
                                         const ModelGeometry& g) {
  const json body = parse_json_object(text, limits.max_json_depth);
  GenerateRequest r;
  r.chat = false;
  const json* p = field(body, "prompt");
  if (!p) invalid("prompt is required");
  if (p->is_string()) {
    r.prompt = p->get<std::string>();
  } else if (p->is_array() && p->size() == 1 && (*p)[0].is_string()) {
    r.prompt = (*p)[0].get<std::string>();
  } else if (p->is_array() && !p->empty() && (*p)[0].is_number()) {
    if (static_cast<int64_t>(p->size()) > limits.max_prompt_tokens)
      invalid("prompt has more than " + std::to_string(limits.max_prompt_tokens) + " tokens",
              "too_many_tokens");
    std::vector<int64_t> ids;
    for (size_t i = 0; i < p->size(); ++i)
      ids.push_back(as_int((*p)[i], "prompt[" + std::to_string(i) + "]", 0,
                           std::numeric_limits<int32_t>::max()));
    r.prompt_ids = std::move(ids);
  } else {
    wrong_type("prompt", "a string, a one-string array or an array of token ids", *p);
  }
  // Legacy logprobs: the number of alternatives (0 gives the chosen tokens' logprobs only);
  // false or null is none.
  if (const json* l = field(body, "logprobs"); l && !(l->is_boolean() && !l->get<bool>()))
    r.logprobs = as_int(*l, "logprobs", 0, kMaxTopLogprobs);
  if (const json* e = field(body, "echo")) r.echo = as_bool(*e, "echo");
  parse_common(body, r, limits, g);
  return r;
}

ScanRequest parse_scan_request(std::string_view text, const RequestLimits& limits,
                               const ModelGeometry& g) {
  const json body = parse_json_object(text, limits.max_json_depth);
  ScanRequest r;
  static const std::set<std::string> known = {"prompts", "max_tokens", "temperature", "top_p",
                                              "top_k",   "seed",       "batch_size",  "weighted",
                                              "mote",    "model"};
  for (const auto& [key, value] : body.items()) {
    (void)value;
    if (!known.count(key)) invalid("scan: unknown field '" + key + "'", "unknown_field");
  }
  const json* prompts = field(body, "prompts");
  if (!prompts) invalid("prompts is required");
  if (!prompts->is_array()) wrong_type("prompts", "an array", *prompts);
  if (prompts->empty()) invalid("prompts must not be empty");
  if (static_cast<int64_t>(prompts->size()) > limits.max_scan_prompts)
    invalid(
        "prompts: more than " + std::to_string(limits.max_scan_prompts) + " prompts in one scan",
        "too_many_prompts");
  for (size_t i = 0; i < prompts->size(); ++i) {
    const json& p = (*prompts)[i];
    const std::string at = "prompts[" + std::to_string(i) + "]";
    ScanPrompt sp;
    sp.chat = false;  // until it has messages
    if (p.is_string()) {
      sp.text = p.get<std::string>();
    } else if (p.is_object()) {
      for (const auto& [key, value] : p.items()) {
        (void)value;
        if (key != "text" && key != "messages" && key != "add_generation_prompt")
          invalid(at + ": unknown field '" + key + "'", "unknown_field");
      }
      const json* t = field(p, "text");
      const json* m = field(p, "messages");
      if (!!t == !!m) invalid(at + " needs exactly one of text or messages");
      if (t) sp.text = as_string(*t, at + ".text");
      if (m) {
        sp.chat = true;
        sp.messages = parse_messages(*m, at + ".messages", limits);
      }
      if (const json* a = field(p, "add_generation_prompt"))
        sp.add_generation_prompt = as_bool(*a, at + ".add_generation_prompt");
    } else {
      wrong_type(at, "a string or an object", p);
    }
    if (!sp.chat && sp.text.empty()) invalid(at + " is empty");
    r.prompts.push_back(std::move(sp));
  }
  if (const json* mt = field(body, "max_tokens"))
    r.max_tokens = as_int(*mt, "max_tokens", 0, limits.max_tokens);
  r.sampling = parse_sampling(body);
  if (const json* b = field(body, "batch_size"))
    r.batch_size = as_int(*b, "batch_size", 1, limits.max_scan_batch);
  r.batch_size = std::min(r.batch_size, limits.max_scan_batch);
  if (const json* w = field(body, "weighted")) r.weighted = as_bool(*w, "weighted");
  r.mote = parse_mote(body, g, false);
  return r;
}

namespace {

void only_known(const json& body, const std::set<std::string>& known, const char* what) {
  for (const auto& [key, value] : body.items()) {
    (void)value;
    if (!known.count(key))
      invalid(std::string(what) + ": unknown field '" + key + "'", "unknown_field");
  }
}

std::string model_of(const json& body) {
  const json* m = field(body, "model");
  return m ? as_string(*m, "model") : std::string();
}

}  // namespace

TokenizeRequest parse_tokenize_request(std::string_view text, const RequestLimits& limits) {
  const json body = parse_json_object(text, limits.max_json_depth);
  only_known(body, {"model", "prompt", "messages", "add_generation_prompt", "add_special_tokens"},
             "tokenize");
  TokenizeRequest r;
  r.model = model_of(body);
  const json* p = field(body, "prompt");
  const json* m = field(body, "messages");
  if (!!p == !!m) invalid("tokenize needs exactly one of prompt or messages");
  if (p) r.prompt = as_string(*p, "prompt");
  if (m) r.messages = parse_messages(*m, "messages", limits);
  if (const json* a = field(body, "add_generation_prompt"))
    r.add_generation_prompt = as_bool(*a, "add_generation_prompt");
  if (const json* a = field(body, "add_special_tokens")) as_bool(*a, "add_special_tokens");
  return r;
}

DetokenizeRequest parse_detokenize_request(std::string_view text, const RequestLimits& limits) {
  const json body = parse_json_object(text, limits.max_json_depth);
  only_known(body, {"model", "tokens"}, "detokenize");
  DetokenizeRequest r;
  r.model = model_of(body);
  const json* t = field(body, "tokens");
  if (!t) invalid("tokens is required");
  if (!t->is_array()) wrong_type("tokens", "an array of token ids", *t);
  if (static_cast<int64_t>(t->size()) > limits.max_prompt_tokens)
    invalid("tokens has more than " + std::to_string(limits.max_prompt_tokens) + " ids",
            "too_many_tokens");
  for (size_t i = 0; i < t->size(); ++i)
    r.tokens.push_back(as_int((*t)[i], "tokens[" + std::to_string(i) + "]", 0,
                              std::numeric_limits<int32_t>::max()));
  return r;
}

TuningRegistration parse_tuning_registration(std::string_view text, const RequestLimits& limits,
                                             const ModelGeometry& g) {
  const json body = parse_json_object(text, limits.max_json_depth);
  only_known(body, {"name", "tuning"}, "tunings");
  TuningRegistration r;
  const json* n = field(body, "name");
  if (!n) invalid("name is required");
  r.name = as_string(*n, "name");
  const json* t = field(body, "tuning");
  if (!t) invalid("tuning is required");
  // The same rules as a request's mote.tuning.
  r.tuning = parse_mote(json{{"mote", {{"tuning", *t}}}}, g, false).tuning;
  return r;
}

json TokenizeRequest::to_json() const {
  json body = json::object();
  if (!model.empty()) body["model"] = model;
  if (prompt) {
    body["prompt"] = *prompt;
  } else {
    body["messages"] = messages_to_json(messages);
    body["add_generation_prompt"] = add_generation_prompt;
  }
  return body;
}

json DetokenizeRequest::to_json() const {
  json body = {{"tokens", tokens}};
  if (!model.empty()) body["model"] = model;
  return body;
}

json TuningRegistration::to_json() const {
  return {{"name", name}, {"tuning", tuning.to_json()}};
}

namespace {

void put_sampling(const Sampling& s, json& body) {
  if (s.temperature) body["temperature"] = *s.temperature;
  if (s.top_p) body["top_p"] = *s.top_p;
  if (s.top_k) body["top_k"] = *s.top_k;
  // Signed on the wire (OpenAI's type); the parser reads negative seeds back as the same bits.
  if (s.seed) body["seed"] = static_cast<int64_t>(*s.seed);
}

}  // namespace

json GenerateRequest::to_json() const {
  json body = json::object();
  if (!model.empty()) body["model"] = model;
  if (chat) {
    body["messages"] = messages_to_json(messages);
  } else if (prompt_ids) {
    body["prompt"] = *prompt_ids;
  } else {
    body["prompt"] = prompt;
  }
  if (max_tokens) body["max_tokens"] = *max_tokens;
  put_sampling(sampling, body);
  if (!stop.empty()) body["stop"] = stop;
  body["stream"] = stream;
  if (include_usage) body["stream_options"] = {{"include_usage", true}};
  if (logprobs && chat) {
    body["logprobs"] = true;
    body["top_logprobs"] = *logprobs;
  } else if (logprobs) {
    body["logprobs"] = *logprobs;
  }
  if (echo) body["echo"] = true;
  if (mote.present) body["mote"] = mote.to_json();
  return body;
}

json ScanRequest::to_json() const {
  json list = json::array();
  for (const ScanPrompt& p : prompts) list.push_back(p.to_json());
  json body = {{"prompts", std::move(list)},
               {"max_tokens", max_tokens},
               {"batch_size", batch_size},
               {"weighted", weighted}};
  put_sampling(sampling, body);
  if (mote.present) body["mote"] = mote.to_json(/*with_capture=*/false);
  return body;
}

}  // namespace mote
