#pragma once
// The HTTP edge every route shares, kept apart from the routes themselves: the API-key check,
// JSON error bodies for the errors cpp-httplib produces itself, uncaught exceptions, the request
// log, and the wrapper that checks a POST's Content-Type and turns a RequestError into its reply.
#include <functional>
#include <string>

#include <httplib.h>

#include "engine/server/server_errors.h"

namespace mote::server {

using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

void reply(httplib::Response& res, int status, const std::string& body);
// The error's status and body (429 adds Retry-After, 401 WWW-Authenticate).
void reply_error(httplib::Response& res, const RequestError& error);

// Installs the key check (every route but /mote/v1/health when `api_key` is set), the JSON
// error and exception handlers and, with `log_requests`, a log line per request on stderr
// (method, path, status: never headers or bodies).
void install_edge(httplib::Server& http, const std::string& api_key, bool log_requests);

// A POST handler taking a JSON body: a non-JSON Content-Type is 415; a RequestError thrown by
// `handler` is its reply, any other exception a 500.
Handler json_post(Handler handler);

}  // namespace mote::server
