#include "server.h"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "events.h"
#include "log.h"
#include "services.h"

namespace steer {

struct ControlServer::Impl {
  Dataplane& dp;
  const Deployment& d;
  rpc::EventBus events;
  std::atomic<bool> stopping{false};
  rpc::Context ctx;
  rpc::PortsService ports{ctx};
  rpc::ConfigService config{ctx};
  rpc::SteeringService steering{ctx};
  rpc::StatsService stats{ctx};
  rpc::EventsService events_service{ctx};
  rpc::LoggingService logging;
  std::unique_ptr<grpc::Server> server;
  std::string where;
  std::thread link_watcher;

  Impl(Dataplane& p, Controller& c, const Deployment& dep) : dp(p), d(dep), ctx{p, c, dep, events, stopping} {}

  // A peer that backs fewer queues than the port opened: say which are refused.
  void warn_unbacked(size_t i, const Dataplane::Link& l) const {
    if (!l.up || (l.rx_backed >= l.rx_queues && l.tx_backed >= l.tx_queues)) return;
    spdlog::warn(
        "port {}: the peer backs {} of {} RX and {} of {} TX queues; steerd does not poll RX queues >= {} "
        "and drops what its lcores would send on TX queues >= {} (counted as unbacked). Give the peer as "
        "many queue pairs, or the port fewer queues",
        d.ports[i].name, l.rx_backed, l.rx_queues, l.tx_backed, l.tx_queues, l.rx_backed, l.tx_backed);
  }

  // Link changes become events and log lines: polled twice a second, off the
  // lcores (a peer that leaves and returns within one poll is not seen).
  void watch_links() {
    std::vector<Dataplane::Link> last = dp.links();
    for (size_t i = 0; i < last.size() && i < d.ports.size(); ++i) {
      log::Fields f{{"STEER_PORT", d.ports[i].name}, {"STEER_EVENT", "link"}};
      spdlog::info("port {}: link {}", d.ports[i].name, last[i].up ? "up" : "down");
      if (!last[i].peer_note.empty()) spdlog::info("port {}: {}", d.ports[i].name, last[i].peer_note);
      warn_unbacked(i, last[i]);
    }
    while (!stopping.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      if (!dp.running()) continue;
      for (const auto& t : dp.check_tx_queues()) {  // may lower a port's backed TX queues
        log::Fields f{{"STEER_PORT", t.port}, {"STEER_EVENT", "tx_queue_stuck"}};
        spdlog::warn("{}", t.text);
      }
      auto now = dp.links();
      for (size_t i = 0; i < now.size() && i < last.size() && i < d.ports.size(); ++i)
        if (now[i].up != last[i].up || now[i].speed_mbps != last[i].speed_mbps ||
            now[i].rx_backed != last[i].rx_backed || now[i].tx_backed != last[i].tx_backed) {
          log::Fields f{{"STEER_PORT", d.ports[i].name}, {"STEER_EVENT", "link"}};
          ::steer::v1::Event e;
          e.mutable_link()->set_port(d.ports[i].name);
          e.mutable_link()->set_up(now[i].up);
          e.mutable_link()->set_speed_mbps(now[i].speed_mbps);
          e.mutable_link()->set_rx_queues_backed(now[i].rx_backed);
          e.mutable_link()->set_tx_queues_backed(now[i].tx_backed);
          warn_unbacked(i, now[i]);
          events.publish(std::move(e));
          if (now[i].up)
            spdlog::info("port {}: link up ({} Mbps)", d.ports[i].name, now[i].speed_mbps);
          else
            spdlog::warn("port {}: link down", d.ports[i].name);
        }
      last = now;
    }
  }
};

ControlServer::ControlServer(Dataplane& dp, Controller& ctl, const Deployment& d)
    : impl_(std::make_unique<Impl>(dp, ctl, d)) {
  // Every applied change is an event and a journal line, whichever path it
  // took (gRPC, SIGHUP).
  ctl.on_change([this](const ChangeReport& r) {
    log::Fields f{{"STEER_PORT", r.port},
                  {"STEER_EVENT", "change"},
                  {"STEER_CHANGE_ID", std::to_string(r.id)},
                  {"STEER_GENERATION", std::to_string(r.generation)}};
    spdlog::info(
        "port {}: change {} applied, generation {}: {} bucket(s) moved, apply {:.1f} us, drain {:.1f} us, "
        "held {}, timeouts {}",
        r.port, r.id, r.generation, r.buckets_moved, r.apply_us, r.drain_us, r.held, r.timeouts);
    impl_->events.publish(r);
  });
}

ControlServer::~ControlServer() {
  shutdown();
}

namespace {

bool read_file(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream b;
  b << in.rdbuf();
  *out = b.str();
  return true;
}

}  // namespace

void ControlServer::set_config_file(const std::string& path) {
  impl_->ctx.config_file = path;
}

bool ControlServer::start(const ControlConfig& c, std::string* why) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder b;
  // Deliberate bounds: an oversized request is refused before it is read
  // into memory, and no client can make the server run more threads.
  b.SetMaxReceiveMessageSize(rpc::kMaxMessageBytes);
  b.SetMaxSendMessageSize(rpc::kMaxMessageBytes);
  grpc::ResourceQuota quota("steerd");
  quota.SetMaxThreads(rpc::kMaxServerThreads);
  b.SetResourceQuota(quota);
  // Per client: HTTP/2 lets one connection open at most this many streams at
  // once; the client's further calls wait for one to end. So one client
  // cannot take all kMaxStreams slots or all the threads.
  b.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, rpc::kMaxStreamsPerClient);
  std::string where;
  if (!c.socket.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(c.socket).parent_path(), ec);
    std::filesystem::remove(c.socket, ec);  // a stale socket from a previous run
    b.AddListeningPort("unix:" + c.socket, grpc::InsecureServerCredentials());
    where = "unix:" + c.socket;
  }
  if (!c.tcp_address.empty()) {
    std::shared_ptr<grpc::ServerCredentials> creds;
    if (c.tls_cert.empty()) {
      creds = grpc::InsecureServerCredentials();  // validate() allowed it: loopback + insecure: true
    } else {
      grpc::SslServerCredentialsOptions o;
      grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
      if (!read_file(c.tls_key, &pair.private_key) || !read_file(c.tls_cert, &pair.cert_chain)) {
        *why = "control.tcp: cannot read the TLS cert \"" + c.tls_cert + "\" or key \"" + c.tls_key + "\"";
        return false;
      }
      o.pem_key_cert_pairs.push_back(pair);
      if (!c.tls_client_ca.empty()) {
        if (!read_file(c.tls_client_ca, &o.pem_root_certs)) {
          *why = "control.tcp.client_ca: cannot read \"" + c.tls_client_ca + "\"";
          return false;
        }
        o.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
      }
      creds = grpc::SslServerCredentials(o);
    }
    b.AddListeningPort(c.tcp_address, creds);
    where += (where.empty() ? "" : ", ") +
             std::string(c.tls_cert.empty()        ? "tcp:"
                         : c.tls_client_ca.empty() ? "tls:"
                                                   : "mtls:") +
             c.tcp_address;
  }
  b.RegisterService(&impl_->ports);
  b.RegisterService(&impl_->config);
  b.RegisterService(&impl_->steering);
  b.RegisterService(&impl_->stats);
  b.RegisterService(&impl_->events_service);
  b.RegisterService(&impl_->logging);
  // The unix socket is created by BuildAndStart: make it be born 0660 and
  // owned by the configured group, so no client outside the group can reach
  // it, even for a moment (umask and effective group for this call only).
  gid_t want_gid = gid_t(-1);
  if (!c.socket.empty() && !c.group.empty()) {
    group* g = getgrnam(c.group.c_str());
    if (!g) {
      *why = "control.group: no group named \"" + c.group + "\"; create it (groupadd) or leave control.group out";
      return false;
    }
    want_gid = g->gr_gid;
  }
  const mode_t old_mask = umask(0117);
  const gid_t old_gid = getegid();
  if (want_gid != gid_t(-1) && setegid(want_gid) != 0) {
    umask(old_mask);
    *why = "control.group: cannot create the socket as group \"" + c.group + "\" (setegid failed)";
    return false;
  }
  impl_->server = b.BuildAndStart();
  if (want_gid != gid_t(-1)) (void)setegid(old_gid);
  umask(old_mask);
  if (!impl_->server) {
    *why = "the control plane could not listen on " + where + "; check the socket directory and the TCP address";
    return false;
  }
  if (!c.socket.empty()) {  // check what BuildAndStart made: never serve a socket others can reach
    struct stat st {};
    if (stat(c.socket.c_str(), &st) != 0 || (st.st_mode & 0007) != 0 ||
        (want_gid != gid_t(-1) && st.st_gid != want_gid)) {
      *why = "control.socket: " + c.socket + " was not created 0660 with group \"" + c.group + "\"";
      impl_->server->Shutdown();
      impl_->server.reset();
      return false;
    }
  }
  impl_->link_watcher = std::thread([this] { impl_->watch_links(); });
  impl_->server->GetHealthCheckService()->SetServingStatus(true);
  impl_->where = where;
  return true;
}

const std::string& ControlServer::where() const {
  return impl_->where;
}

void ControlServer::shutdown() {
  if (!impl_->server) return;
  impl_->stopping.store(true);
  impl_->events.wake_all();
  impl_->server->GetHealthCheckService()->SetServingStatus(false);
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  impl_->server.reset();
  if (impl_->link_watcher.joinable()) impl_->link_watcher.join();
}

}  // namespace steer
