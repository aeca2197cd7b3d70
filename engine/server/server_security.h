#pragma once
// Who may talk to the server: bearer-key checks in constant time, loading the key file, and the
// startup rule that a non-loopback bind needs a key. Torch-free.
#include <optional>
#include <string>
#include <string_view>

namespace mote::server {

// Equal strings, in time that depends only on the lengths (no early exit on the first difference).
bool constant_time_equal(std::string_view a, std::string_view b);
// Whether an "Authorization" header value is "Bearer <key>" for this key.
bool authorized(std::string_view authorization_header, std::string_view key);
// The key file's content with surrounding whitespace trimmed; UsageError if unreadable or empty.
std::string read_api_key_file(const std::string& path);
// 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(const std::string& host);
// UsageError unless the host is loopback or a key is set (called before loading the model).
void check_bind_policy(const std::string& host, const std::optional<std::string>& api_key);

}  // namespace mote::server
