// The server under hostile input and load: a corpus of malformed or malicious requests, all
// answered with a JSON 4xx while the server stays up, and many concurrent clients.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "server_test_support.h"

using namespace mote;
using namespace mote::test;
using nlohmann::json;

namespace {

struct Case {
  std::string path, body, content_type = "application/json";
};

// Bodies that are invalid for every POST route.
std::vector<std::string> bad_bodies() {
  const std::string msgs = R"("messages": [{"role": "user", "content": "hi"}])";
  auto with = [&](const std::string& extra) { return "{" + msgs + ", " + extra + "}"; };
  auto tune = [&](const std::string& t) { return with("\"mote\": {\"tuning\": " + t + "}"); };
  std::vector<std::string> b = {
      "",
      " ",
      "{",
      "}",
      "[",
      "]",
      "null",
      "true",
      "1",
      "-0",
      "\"text\"",
      "[]",
      "[{}]",
      "{}x",
      "{\"a\":}",
      "{'messages': []}",
      "{\"messages\": [/*c*/]}",
      "{\"messages\": NaN}",
      "{\"messages\": Infinity}",
      "{\"messages\": [}",
      "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]",
      std::string("{\"messages\": [{\"role\": \"user\", \"content\": \"\xff\xfe\"}]}"),
      std::string("{\"messages\": [{\"role\": \"user\", \"content\": \"\xc3\"}]}"),
      std::string("{\"messages\": [{\"role\": \"user\", \"content\": \"\xc0\xaf\"}]}"),
      std::string("{\"messages\": [{\"role\": \"user\", \"content\": \"\xed\xa0\x80\"}]}"),
      std::string("{\"messages\": [{\"role\": \"user\", \"content\": \"\xf4\x90\x80\x80\"}]}"),
      "{\"messages\": [{\"role\": \"user\", \"content\": \"\\ud800\"}]}",
      "{\"messages\": [{\"role\": \"user\", \"content\": \"\\uZZZZ\"}]}",
      std::string("{\"messages\": [{\"role\": \"user\", \"content\": \"a\0b\"}]}", 50),
      std::string("{\"messages\xff\": 1}"),
      "{\"messages\": []}",
      "{\"messages\": [1]}",
      "{\"messages\": [{}]}",
      "{\"messages\": [{\"role\": 1}]}",
      "{\"messages\": [{\"role\": \"user\", \"content\": 5}]}",
      "{\"messages\": [{\"role\": \"god\", \"content\": \"x\"}]}",
      "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]}",
      "{\"messages\": [{\"role\": \"user\", \"content\": [1]}]}",
      "{\"messages\": {\"role\": \"user\"}}",
      "{\"messages\": \"hi\"}",
      "{\"messages\": 1e999}",
      with("\"max_tokens\": -1"),
      with("\"max_tokens\": 0"),
      with("\"max_tokens\": 1e999"),
      with("\"max_tokens\": -1e999"),
      with("\"max_tokens\": 123456789012345678901234567890"),
      with("\"max_tokens\": 18446744073709551615"),
      with("\"max_tokens\": 9223372036854775807"),
      with("\"max_tokens\": -9223372036854775808"),
      with("\"max_tokens\": 1.5"),
      with("\"max_tokens\": \"10\""),
      with("\"max_tokens\": true"),
      with("\"max_tokens\": [1]"),
      with("\"max_tokens\": 100000000"),
      with("\"temperature\": -0.1"),
      with("\"temperature\": 1e308"),
      with("\"temperature\": \"hot\""),
      with("\"top_p\": 0"),
      with("\"top_p\": 1.5"),
      with("\"top_p\": -1"),
      with("\"top_k\": -1"),
      with("\"seed\": 1.5"),
      with("\"seed\": \"1\""),
      with("\"seed\": 1e30"),
      with("\"stop\": 1"),
      with("\"stop\": [1]"),
      with("\"stop\": \"\""),
      with("\"stop\": [\"a\",\"b\",\"c\",\"d\",\"e\"]"),
      with("\"stream\": \"yes\""),
      with("\"stream\": 1"),
      with("\"stream_options\": 1"),
      with("\"stream_options\": {\"include_usage\": \"y\"}"),
      with("\"n\": 2"),
      with("\"n\": -1"),
      with("\"logprobs\": \"yes\""),
      with("\"top_logprobs\": 3"),
      with("\"echo\": true"),
      with("\"tools\": [{\"type\": \"function\"}]"),
      with("\"model\": 1"),
      with("\"mote\": 1"),
      with("\"mote\": []"),
      with("\"mote\": \"ids\""),
      with("\"mote\": {\"unknown\": 1}"),
      with("\"mote\": {\"capture\": 1}"),
      with("\"mote\": {\"capture\": \"everything\"}"),
      with("\"mote\": {\"capture\": \"IDS\"}"),
      with("\"mote\": {\"tuning\": 1}"),
      with("\"mote\": {\"tuning\": []}"),
      with("\"mote\": {\"tuning\": {\"suppress\": [[1, 2]], \"extra\": []}}"),
      tune("{\"suppress\": 1}"),
      tune("{\"suppress\": [1]}"),
      tune("{\"suppress\": [[1]]}"),
      tune("{\"suppress\": [[1, 2, 3]]}"),
      tune("{\"suppress\": [[1, -1]]}"),
      tune("{\"suppress\": [[1, 16]]}"),
      tune("{\"suppress\": [[1, 1000000]]}"),
      tune("{\"suppress\": [[1, -9223372036854775808]]}"),
      tune("{\"suppress\": [[1, 9223372036854775807]]}"),
      tune("{\"suppress\": [[1, 18446744073709551615]]}"),
      tune("{\"suppress\": [[1, 1e20]]}"),
      tune("{\"suppress\": [[1, 1.0]]}"),
      tune("{\"suppress\": [[1, \"2\"]]}"),
      tune("{\"suppress\": [[0, 1]]}"),
      tune("{\"suppress\": [[4, 1]]}"),
      tune("{\"suppress\": [[-1, 1]]}"),
      tune("{\"suppress\": [[99999999999, 1]]}"),
      tune("{\"suppress\": [[null, 1]]}"),
      tune("{\"suppress\": [[[1, 2]]]}"),
      tune("{\"suppress\": [{\"layer\": 1, \"expert\": 2}]}"),
      tune("{\"stimulate\": [[1, -5]]}"),
      tune("{\"stimulate\": [[2, 16]]}"),
      tune("{\"suppress\": [[1, 2]], \"stimulate\": [[1, 2]]}"),
      tune("{\"stimulate\": [[1, 0], [1, 1], [1, 2], [1, 3], [1, 4]]}"),
      std::string(5000, '[') + std::string(5000, ']'),
      std::string(100000, '{'),
      "{\"messages\": " + std::string(200, '[') + std::string(200, ']') + "}",
      "{\"messages\": [{\"role\": \"user\", \"content\": \"" + std::string(70, '[') + "\"}], " +
          "\"x\": " + std::string(70, '{') + "}",
      tune("{\"suppress\": " + std::string(100, '[') + std::string(100, ']') + "}"),
  };
  return b;
}

// Valid-looking JSON that the limits of the hostile server reject.
std::vector<Case> limit_cases() {
  std::string long_prompt;
  for (int i = 0; i < 400; ++i) long_prompt += "word ";
  json many = json::array();
  for (int i = 0; i < 20; ++i) many.push_back("p");
  return {
      {"/v1/chat/completions",
       json{{"messages", {{{"role", "user"}, {"content", long_prompt}}}}}.dump()},
      {"/v1/completions", json{{"prompt", long_prompt}}.dump()},
      {"/v1/completions", json{{"prompt", {1, 2, 600}}}.dump()},
      {"/v1/completions", json{{"prompt", {1, -2}}}.dump()},
      {"/v1/completions", json{{"prompt", ""}}.dump()},
      {"/mote/v1/scan", json{{"prompts", many}}.dump()},
      {"/mote/v1/scan", json{{"prompts", {long_prompt}}}.dump()},
      {"/mote/v1/scan", json{{"prompts", {"a"}}, {"batch_size", 1000}}.dump()},
      {"/mote/v1/scan", json{{"prompts", {"a"}}, {"max_tokens", -1}}.dump()},
      {"/mote/v1/scan", json{{"prompts", {{{"text", "a"}, {"messages", json::array()}}}}}.dump()},
      {"/mote/v1/scan", json{{"prompts", {{{"texts", "a"}}}}}.dump()},
      {"/mote/v1/scan", json{{"prompts", {nullptr}}}.dump()},
      {"/v1/chat/completions", std::string(70000, 'x')},                             // 413
      {"/v1/chat/completions", "{\"messages\": []}", "text/plain"},                  // 415
      {"/v1/chat/completions", "messages=hi", "application/x-www-form-urlencoded"},  // 415
      {"/v1/chat/completions",
       "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--\r\n",
       "multipart/form-data; boundary=b"},
      {"/v1/chat/completions", "--zz\r\ngarbage", "multipart/form-data; boundary=b"},
      {"/v1/chat/completions", "{}", "application/xml"},
      {"/v1/models", "{}"},  // POST to a GET route: 404
      {"/nope", "{}"},
      {"/v1/chat/completions/x", "{}"},
  };
}

// Raw bytes on a socket for what libcurl will not send; the reply must be a 4xx or a close.
std::string raw_exchange(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "connect failed";
  }
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)!send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  shutdown(fd, SHUT_WR);
  std::string reply;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;)
    reply.append(buf, static_cast<size_t>(n));
  close(fd);
  return reply;
}

}  // namespace

TEST_CASE(
    "a corpus of malformed and hostile requests is answered with JSON 4xx, the server stays up",
    "[server]") {
  server::ServerOptions o = LiveServer::quiet();
  o.limits.max_body_bytes = 65536;
  o.limits.max_prompt_tokens = 64;
  o.limits.max_scan_prompts = 10;
  o.limits.max_tokens = 32;
  LiveServer s(o);
  std::vector<Case> corpus;
  for (const char* path : {"/v1/chat/completions", "/v1/completions", "/mote/v1/scan"})
    for (const auto& b : bad_bodies()) corpus.push_back({path, b});
  for (auto& c : limit_cases()) corpus.push_back(c);
  REQUIRE(corpus.size() >= 200);
  size_t answered = 0;
  for (const auto& c : corpus) {
    auto r = http("POST", s.url(c.path), c.body, {"Content-Type: " + c.content_type});
    INFO(c.path << " " << c.content_type << " " << c.body.substr(0, 160));
    CHECK(r.code == CURLE_OK);
    CHECK(r.status >= 400);
    CHECK(r.status < 500);
    json j;
    CHECK_NOTHROW(j = r.json());
    CHECK(j["error"]["message"].is_string());
    CHECK(j["error"]["type"].is_string());
    CHECK(j["error"]["code"].is_string());
    answered += r.status >= 400 && r.status < 500;
  }
  CHECK(answered == corpus.size());
  // Malformed HTTP itself.
  const std::vector<std::string> raw = {
      "GARBAGE\r\n\r\n",
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: "
      "99999999999999999999999\r\n\r\n",
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /v1/models HTTP/1.1\r\nX-Big: " + std::string(100000, 'b') + "\r\n\r\n",
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{",  // truncated
                                                                                       // body
      std::string("GET /v1/models\0 HTTP/1.1\r\n\r\n", 28),
  };
  for (const auto& req : raw) {
    const std::string reply = raw_exchange(s.port, req);
    INFO(req.substr(0, 80));
    CHECK((reply.empty() || reply.rfind("HTTP/1.1 4", 0) == 0));
  }
  auto ok =
      post(s.url("/v1/chat/completions"),
           {{"messages", {{{"role", "user"}, {"content", "still there?"}}}}, {"max_tokens", 2}});
  CHECK(ok.status == 200);
}

TEST_CASE("16 concurrent clients x 20 requests are all answered", "[server]") {
  LiveServer s;
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 16; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < 20; ++i) {
        json body = {
            {"messages",
             {{{"role", "user"},
               {"content", "client " + std::to_string(c) + " request " + std::to_string(i)}}}},
            {"max_tokens", 3},
            {"seed", c * 100 + i}};
        if (i % 3 == 1) body["stream"] = true;
        if (i % 4 == 2)
          body["mote"] = {{"capture", "ids"}, {"tuning", {{"suppress", {{1, c % 16}}}}}};
        auto r = post(s.url("/v1/chat/completions"), body);
        const bool good =
            r.status == 200 && (body.contains("stream") ? sse_data(r.body).back() == "[DONE]"
                                                        : r.json()["choices"].size() == 1);
        (good ? ok : failed)++;
      }
    });
  }
  for (auto& t : clients) t.join();
  CHECK(failed == 0);
  CHECK(ok == 320);
}
