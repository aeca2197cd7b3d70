#pragma once
// Server tests: a live mote-engine server on loopback (in-process, port 0) over the tiny R1-format
// model plus tests/data/tiny-tokenizer, and a small libcurl client.
#include <curl/curl.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/server/server.h"
#include "engine/server/server_model.h"
#include "test_support.h"

namespace mote::test {

// v3-tiny's weights and configs + the tiny tokenizer, symlinked into one checkpoint directory.
inline void make_tiny_model_dir(const std::filesystem::path& dir) {
  for (const char* f : {"config.json", "model.safetensors", "generation_config.json"})
    std::filesystem::create_symlink(v3_tiny_dir() / f, dir / f);
  for (const char* f : {"tokenizer.json", "tokenizer_config.json"})
    std::filesystem::create_symlink(data_dir() / "tiny-tokenizer" / f, dir / f);
}

inline std::shared_ptr<server::ModelBundle> tiny_bundle() {
  static std::shared_ptr<server::ModelBundle> bundle = [] {
    TempDir dir("mote-srv-model");
    make_tiny_model_dir(dir.path());
    return server::ModelBundle::load(dir.path(), {}, {}, {}, std::string("v3-tiny"));
  }();
  return bundle;
}

struct LiveServer {
  explicit LiveServer(server::ServerOptions options = quiet()) {
    options.port = 0;
    srv = std::make_unique<server::Server>(tiny_bundle(), options);
    port = srv->start();
  }
  static server::ServerOptions quiet() {
    server::ServerOptions o;
    o.log_requests = false;
    return o;
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
  std::unique_ptr<server::Server> srv;
  int port = 0;
};

struct HttpResult {
  long status = 0;
  std::string body;
  std::string content_type;
  CURLcode code = CURLE_OK;
  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

// One request. `on_data` (optional) sees the body as it arrives; returning false aborts the
// transfer (a client hanging up mid-stream).
inline HttpResult http(const std::string& method, const std::string& url,
                       const std::string& body = "",
                       std::vector<std::string> headers = {"Content-Type: application/json"},
                       const std::function<bool(const std::string&)>& on_data = {},
                       long timeout_s = 60) {
  static const bool curl_ready =
      curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;  // once, thread-safe
  (void)curl_ready;
  HttpResult r;
  CURL* curl = curl_easy_init();
  struct Ctx {
    HttpResult* r;
    const std::function<bool(const std::string&)>* on_data;
  } ctx{&r, &on_data};
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_s);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST" || method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ctx);
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char* p, size_t size, size_t n, void* user) -> size_t {
        auto* c = static_cast<Ctx*>(user);
        c->r->body.append(p, size * n);
        if (*c->on_data && !(*c->on_data)(c->r->body)) return 0;  // abort
        return size * n;
      });
  r.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
  char* ct = nullptr;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct);
  if (ct) r.content_type = ct;
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return r;
}

inline HttpResult post(const std::string& url, const nlohmann::json& body,
                       std::vector<std::string> headers = {"Content-Type: application/json"}) {
  return http("POST", url, body.dump(), std::move(headers));
}

// The JSON payloads of an SSE body ("data: ..." lines), ending with the literal "[DONE]".
inline std::vector<std::string> sse_data(const std::string& body) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find('\n', pos);
    if (end == std::string::npos) end = body.size();
    const std::string line = body.substr(pos, end - pos);
    if (line.rfind("data: ", 0) == 0) out.push_back(line.substr(6));
    pos = end + 1;
  }
  return out;
}

}  // namespace mote::test
