// A minimal HTTP/1.1 client for tests of the daemon's endpoint: one request
// per connection to 127.0.0.1, read until the server closes.
#ifndef ASSAY_TESTS_TESTING_HTTP_CLIENT_H_
#define ASSAY_TESTS_TESTING_HTTP_CLIENT_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <cstdint>
#include <string>

namespace assay::testing {

struct HttpResponse {
  int status = 0;  // 0: no response
  std::string headers;
  std::string body;
};

// Sends `raw` as written and returns the parsed response.
inline HttpResponse HttpSend(uint16_t port, const std::string& raw) {
  namespace asio = boost::asio;
  using tcp = asio::ip::tcp;
  asio::io_context io;
  tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return {};
  asio::write(socket, asio::buffer(raw), ec);
  std::string all;
  char buf[4096];
  for (;;) {
    const size_t n = socket.read_some(asio::buffer(buf), ec);
    all.append(buf, n);
    if (ec) break;
  }
  HttpResponse r;
  const size_t end = all.find("\r\n\r\n");
  if (all.size() < 12 || end == std::string::npos) return r;
  r.status = std::stoi(all.substr(9, 3));
  r.headers = all.substr(0, end);
  r.body = all.substr(end + 4);
  return r;
}

// `extra`: more header lines, each ending in \r\n.
inline HttpResponse HttpGet(uint16_t port, const std::string& target, const std::string& extra = "") {
  return HttpSend(port, "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + extra + "\r\n");
}

inline HttpResponse HttpPost(uint16_t port, const std::string& target, const std::string& body,
                             const std::string& extra = "") {
  return HttpSend(port, "POST " + target +
                            " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                            "Content-Length: " +
                            std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body);
}

}  // namespace assay::testing

#endif  // ASSAY_TESTS_TESTING_HTTP_CLIENT_H_
