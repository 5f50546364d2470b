#include "session.h"

#include <fstream>
#include <sstream>

namespace steerctl {

std::shared_ptr<grpc::Channel> Session::channel() {
  if (channel_) return channel_;
  if (address.empty()) return channel_ = grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials());
  if (insecure) return channel_ = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  grpc::SslCredentialsOptions o;
  auto slurp = [](const std::string& path, std::string* out) {
    std::ifstream in(path);
    std::stringstream b;
    b << in.rdbuf();
    *out = b.str();
    return bool(in);
  };
  if ((!ca.empty() && !slurp(ca, &o.pem_root_certs)) || (!cert.empty() && !slurp(cert, &o.pem_cert_chain)) ||
      (!key.empty() && !slurp(key, &o.pem_private_key))) {
    std::fprintf(stderr, "steerctl: cannot read --ca, --cert or --key\n");
    return nullptr;
  }
  return channel_ = grpc::CreateChannel(address, grpc::SslCredentials(o));
}

int exit_code(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::OK:
      return 0;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return 3;
    case grpc::StatusCode::NOT_FOUND:
      return 4;
    case grpc::StatusCode::FAILED_PRECONDITION:
      return 5;
    case grpc::StatusCode::UNAVAILABLE:
      return 6;
    default:
      return 1;
  }
}

int fail(const grpc::Status& s) {
  std::fprintf(stderr, "steerctl: %s\n",
               s.error_code() == grpc::StatusCode::UNAVAILABLE && s.error_message().find("connect") != std::string::npos
                   ? ("cannot reach steerd (" + s.error_message() + "); is it running, and is --socket right?").c_str()
                   : s.error_message().c_str());
  return exit_code(s);
}

int usage(const std::string& message) {
  std::fprintf(stderr, "steerctl: %s\n", message.c_str());
  return 2;
}

}  // namespace steerctl
