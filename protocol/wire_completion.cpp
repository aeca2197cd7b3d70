#include "protocol/wire_completion.h"

#include <limits>

#include <nlohmann/json.hpp>

#include "protocol/error.h"
#include "protocol/wire_error.h"

namespace mote {
namespace {

using json = nlohmann::json;

const json* find(const json& j, const char* key) {
  const auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::int64_t count(const json& j, const std::string& what) {
  if (!j.is_number_integer() || j.get<std::int64_t>() < 0)
    throw WireError(what + " is not a count");
  return j.get<std::int64_t>();
}

std::string text_of(const json& j, const std::string& what) {
  if (!j.is_string()) throw WireError(what + " is not a string");
  return j.get<std::string>();
}

// id, model and created: informative, read when present (a proxy may drop them).
template <typename Reply>
void read_envelope(const json& j, Reply& out) {
  if (const json* id = find(j, "id"); id && id->is_string()) out.id = id->get<std::string>();
  if (const json* m = find(j, "model"); m && m->is_string()) out.model = m->get<std::string>();
  if (const json* c = find(j, "created"); c && c->is_number_integer())
    out.created = c->get<std::int64_t>();
}

json envelope(const char* object, const std::string& id, std::int64_t created,
              const std::string& model) {
  return {{"id", id}, {"object", object}, {"created", created}, {"model", model}};
}

const json& first_choice(const json& j) {
  const json& c = j.at("choices")[0];
  if (!c.is_object()) throw WireError("choices[0] is not an object");
  return c;
}

json finish_json(const std::optional<std::string>& finish) {
  return finish ? json(*finish) : json(nullptr);
}

json logprobs_json(const std::optional<Logprobs>& l, bool chat) {
  if (!l) return nullptr;
  return chat ? l->to_chat_json() : l->to_completion_json();
}

std::optional<Logprobs> read_logprobs(const json& choice, bool chat) {
  const json* l = find(choice, "logprobs");
  if (!l) return std::nullopt;
  return chat ? Logprobs::from_chat_json(*l) : Logprobs::from_completion_json(*l);
}

}  // namespace

json Usage::to_json() const {
  return {{"prompt_tokens", prompt_tokens},
          {"completion_tokens", completion_tokens},
          {"total_tokens", prompt_tokens + completion_tokens}};
}

Usage Usage::from_json(const json& j) {
  const json* p = j.is_object() ? find(j, "prompt_tokens") : nullptr;
  const json* c = j.is_object() ? find(j, "completion_tokens") : nullptr;
  if (!p || !c) throw WireError("usage lacks prompt_tokens or completion_tokens");
  return {count(*p, "usage.prompt_tokens"), count(*c, "usage.completion_tokens")};
}

json MoteReply::to_json() const {
  json m = json::object();
  if (header) {
    m = header->geometry.to_json();
    m["capture"] = capture_mode_name(header->capture);
    m["tuning"] = header->tuning.to_json();
    m["seed"] = header->seed;
  }
  if (routing) {
    json rows = json::array();
    for (const RoutingRow& r : *routing) rows.push_back(r.to_json());
    m["routing"] = std::move(rows);
  }
  if (prompt_counts) m["prompt_counts"] = activation_map_to_json(*prompt_counts);
  return m;
}

MoteReply MoteReply::from_json(const json& j, const ModelGeometry* stream_geometry) {
  if (!j.is_object()) throw WireError("\"mote\" is not an object");
  MoteReply out;
  if (j.contains("moe_layers")) {
    MoteHeader h;
    try {
      h.geometry = ModelGeometry::from_json(j);
    } catch (const GeometryError& e) {
      throw WireError(std::string("the \"mote\" header: ") + e.what());
    }
    if (const json* c = find(j, "capture")) {
      const auto mode = capture_mode_from_name(text_of(*c, "mote.capture"));
      if (!mode) throw WireError("mote.capture is not a capture mode");
      h.capture = *mode;
    }
    if (const json* t = find(j, "tuning")) {
      try {
        h.tuning = TuningSpec::from_json(*t);
      } catch (const TuningError& e) {
        throw WireError(std::string("mote.tuning: ") + e.what());
      }
    }
    const json* seed = find(j, "seed");
    if (!seed || !seed->is_number_integer()) throw WireError("mote.seed is not an integer");
    // Unsigned on the engine's side; a signed seed is the same bits.
    h.seed = seed->is_number_unsigned() ? seed->get<std::uint64_t>()
                                        : static_cast<std::uint64_t>(seed->get<std::int64_t>());
    out.header = std::move(h);
  }
  if (const json* r = find(j, "routing")) {
    if (!r->is_array()) throw WireError("mote.routing is not an array");
    std::vector<RoutingRow> rows;
    rows.reserve(r->size());
    for (const json& row : *r) rows.push_back(RoutingRow::from_json(row));
    out.routing = std::move(rows);
  }
  if (const json* c = find(j, "prompt_counts")) {
    const ModelGeometry* g = out.header ? &out.header->geometry : stream_geometry;
    if (!g) throw WireError("mote.prompt_counts came before the header");
    out.prompt_counts = activation_map_from_json(*c, *g);
  }
  return out;
}

json CompletionChunk::to_json() const {
  json j = envelope(chat ? "chat.completion.chunk" : "text_completion", id, created, model);
  json choices = json::array();
  if (choice) {
    json c = {{"index", 0}};
    if (!chat) {
      c["text"] = choice->text;
    } else if (choice->announces_role) {
      c["delta"] = {{"role", "assistant"}, {"content", choice->text}};
    } else if (choice->finish_reason && choice->text.empty()) {
      c["delta"] = json::object();  // OpenAI's last chunk carries no content
    } else {
      c["delta"] = {{"content", choice->text}};
    }
    c["logprobs"] = logprobs_json(choice->logprobs, chat);
    c["finish_reason"] = finish_json(choice->finish_reason);
    choices.push_back(std::move(c));
  }
  j["choices"] = std::move(choices);
  if (usage) j["usage"] = usage->to_json();
  if (mote) j["mote"] = mote->to_json();
  return j;
}

CompletionChunk CompletionChunk::from_json(const json& j, bool chat,
                                           const ModelGeometry* stream_geometry) {
  if (!j.is_object()) throw WireError("a stream chunk is not a JSON object");
  CompletionChunk out;
  out.chat = chat;
  read_envelope(j, out);
  if (const json* choices = find(j, "choices")) {
    if (!choices->is_array()) throw WireError("choices is not an array");
    if (!choices->empty()) {
      const json& c = first_choice(j);
      Choice choice;
      if (chat) {
        if (const json* delta = find(c, "delta")) {
          if (!delta->is_object()) throw WireError("choices[0].delta is not an object");
          if (const json* t = find(*delta, "content"))
            choice.text = text_of(*t, "choices[0].delta.content");
          choice.announces_role = delta->contains("role");
        }
      } else if (const json* t = find(c, "text")) {
        choice.text = text_of(*t, "choices[0].text");
      }
      if (const json* f = find(c, "finish_reason"))
        choice.finish_reason = text_of(*f, "choices[0].finish_reason");
      choice.logprobs = read_logprobs(c, chat);
      out.choice = std::move(choice);
    }
  }
  if (const json* u = find(j, "usage")) out.usage = Usage::from_json(*u);
  if (const json* m = find(j, "mote")) out.mote = MoteReply::from_json(*m, stream_geometry);
  return out;
}

json CompletionReply::to_json() const {
  json j = envelope(chat ? "chat.completion" : "text_completion", id, created, model);
  json c = {{"index", 0}};
  if (chat)
    c["message"] = {{"role", "assistant"}, {"content", text}};
  else
    c["text"] = text;
  c["logprobs"] = logprobs_json(logprobs, chat);
  c["finish_reason"] = finish_reason;
  j["choices"] = json::array({std::move(c)});
  j["usage"] = usage.to_json();
  if (mote) j["mote"] = mote->to_json();
  return j;
}

CompletionReply CompletionReply::from_json(const json& j, bool chat) {
  if (!j.is_object()) throw WireError("a completion reply is not a JSON object");
  CompletionReply out;
  out.chat = chat;
  read_envelope(j, out);
  const json* choices = find(j, "choices");
  if (!choices || !choices->is_array() || choices->empty())
    throw WireError("a completion reply has no choices");
  const json& c = first_choice(j);
  if (chat) {
    const json* message = find(c, "message");
    if (!message || !message->is_object())
      throw WireError("choices[0].message is missing or not an object");
    if (const json* t = find(*message, "content"))
      out.text = text_of(*t, "choices[0].message.content");
  } else if (const json* t = find(c, "text")) {
    out.text = text_of(*t, "choices[0].text");
  }
  const json* f = find(c, "finish_reason");
  if (!f) throw WireError("choices[0].finish_reason is missing");
  out.finish_reason = text_of(*f, "choices[0].finish_reason");
  out.logprobs = read_logprobs(c, chat);
  const json* u = find(j, "usage");
  if (!u) throw WireError("a completion reply has no usage");
  out.usage = Usage::from_json(*u);
  if (const json* m = find(j, "mote")) out.mote = MoteReply::from_json(*m, nullptr);
  return out;
}

}  // namespace mote
