#include "engine/server/server_edge.h"

#include <cctype>
#include <iostream>

#include "engine/server/server_security.h"

namespace mote::server {
namespace {

// The log shows what was asked, never headers (the key) or bodies; control bytes are escaped.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s.substr(0, 200))
    out += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
  return out;
}

}  // namespace

void reply(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
}

void reply_error(httplib::Response& res, const RequestError& error) {
  if (error.status == 429) res.set_header("Retry-After", "1");
  if (error.status == 401) res.set_header("WWW-Authenticate", "Bearer");
  reply(res, error.status, error_body(error));
}

void install_edge(httplib::Server& http, const std::string& api_key, bool log_requests) {
  http.set_pre_routing_handler([api_key](const httplib::Request& req, httplib::Response& res) {
    if (api_key.empty() || req.path == "/mote/v1/health")
      return httplib::Server::HandlerResponse::Unhandled;
    if (authorized(req.get_header_value("Authorization"), api_key))
      return httplib::Server::HandlerResponse::Unhandled;
    reply_error(res, invalid_api_key());
    return httplib::Server::HandlerResponse::Handled;
  });
  // Every error without a body (no route, payload too large, malformed HTTP) gets the JSON form.
  http.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        reply(res, res.status, error_body(http_error(res.status, req.method, req.path)));
        return httplib::Server::HandlerResponse::Handled;
      }));
  http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        reply_error(res, internal_error(what));
      });
  if (log_requests) {
    http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      std::cerr << "mote-engine serve: " << printable(req.method) << " " << printable(req.path)
                << " " << res.status << "\n";
    });
  }
}

Handler json_post(Handler handler) {
  return [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
    try {
      // JSON only: a form or multipart body is a client mistake, not something to guess at.
      std::string type;
      for (char c : req.get_header_value("Content-Type"))
        type += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!type.empty() && type.rfind("application/json", 0) != 0) throw unsupported_media_type();
      handler(req, res);
    } catch (const RequestError& e) {
      reply_error(res, e);
    } catch (const InvalidRequest& e) {
      reply_error(res, as_request_error(e));
    } catch (const std::exception& e) {
      reply_error(res, internal_error(e.what()));
    }
  };
}

}  // namespace mote::server
