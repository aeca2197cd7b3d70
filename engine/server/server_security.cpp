#include "engine/server/server_security.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "engine/error.h"

namespace mote::server {

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Walk the longer length in full; differences (including length) are OR-ed together.
  const size_t n = std::max(a.size(), b.size());
  volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = diff | static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

bool authorized(std::string_view header, std::string_view key) {
  constexpr std::string_view prefix = "Bearer ";
  if (key.empty() || header.size() < prefix.size()) return false;
  // The scheme is case-insensitive (RFC 7235); it is not secret, so a plain compare is fine.
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  std::string_view token = header.substr(prefix.size());
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
  return constant_time_equal(token, key);
}

std::string read_api_key_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot read the API key file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string key = ss.str();
  const auto first = key.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) throw UsageError("the API key file " + path + " is empty");
  key = key.substr(first, key.find_last_not_of(" \t\r\n") - first + 1);
  for (unsigned char c : key)
    if (c < 0x21 || c > 0x7e)
      throw UsageError("the API key in " + path + " must be printable ASCII without spaces");
  return key;
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

void check_bind_policy(const std::string& host, const std::optional<std::string>& api_key) {
  if (is_loopback_host(host) || (api_key && !api_key->empty())) return;
  throw UsageError(
      "refusing to listen on " + host +
      " without an API key: pass --api-key-file FILE, or bind 127.0.0.1 and use an SSH tunnel");
}

}  // namespace mote::server
