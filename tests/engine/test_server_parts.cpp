// The server's torch-free pieces: stop strings, key checks, and the 400 a refused request body
// becomes (the parser itself is the protocol's: tests/protocol/test_wire_request.cpp).
#include <catch2/catch.hpp>

#include "engine/error.h"
#include "engine/server/server_errors.h"
#include "engine/server/server_security.h"
#include "engine/server/server_stop.h"
#include "protocol/wire_request.h"

using namespace mote::server;

TEST_CASE("a request body the parser refuses is a 400 with the parser's code and message",
          "[server]") {
  try {
    mote::parse_chat_request(R"({"messages": "hi"})", mote::RequestLimits{},
                             mote::ModelGeometry{{1}, 4, 2});
    FAIL("parsed");
  } catch (const mote::InvalidRequest& e) {
    const RequestError answer = as_request_error(e);
    CHECK(answer.status == 400);
    CHECK(answer.type == "invalid_request_error");
    CHECK(answer.code == "invalid_type");
    CHECK(std::string(answer.what()) == "messages must be an array, got string");
    CHECK(error_body(answer).find("messages must be an array") != std::string::npos);
  }
}

TEST_CASE("stop strings are held back until they cannot match", "[server]") {
  StopMatcher m({"STOP", "xy"});
  CHECK(m.push("hello S") == "hello ");
  CHECK(m.push("T") == "");
  CHECK(m.push("ar") == "STar");
  CHECK(m.push(" x") == " ");
  CHECK(m.push("y and more") == "");
  CHECK(m.matched());
  StopMatcher n({"END"});
  CHECK(n.push("abcE") == "abc");
  CHECK(n.finish() == "E");
}

TEST_CASE("API keys are checked in full, bind policy needs a key off loopback", "[server]") {
  CHECK(constant_time_equal("secret", "secret"));
  CHECK_FALSE(constant_time_equal("secret", "secreT"));
  CHECK_FALSE(constant_time_equal("secret", "secret2"));
  CHECK_FALSE(constant_time_equal("", "x"));
  CHECK(authorized("Bearer k3y", "k3y"));
  CHECK(authorized("bearer k3y", "k3y"));
  CHECK_FALSE(authorized("Bearer k3", "k3y"));
  CHECK_FALSE(authorized("k3y", "k3y"));
  CHECK_FALSE(authorized("", "k3y"));
  CHECK(is_loopback_host("127.0.0.1"));
  CHECK(is_loopback_host("127.1.2.3"));
  CHECK(is_loopback_host("::1"));
  CHECK(is_loopback_host("localhost"));
  CHECK_FALSE(is_loopback_host("0.0.0.0"));
  CHECK_FALSE(is_loopback_host("192.168.1.2"));
  CHECK_THROWS_AS(check_bind_policy("0.0.0.0", std::nullopt), mote::UsageError);
  CHECK_NOTHROW(check_bind_policy("0.0.0.0", std::string("key")));
  CHECK_NOTHROW(check_bind_policy("127.0.0.1", std::nullopt));
}
