// steerctl ports
#include "commands.h"
#include "output.h"
#include "steer/v1/steer.grpc.pb.h"

namespace steerctl {

namespace pb = ::steer::v1;

void add_ports(CLI::App& app, Session& s) {
  auto* ports = app.add_subcommand("ports", "list ports: capabilities, steering backend and why, queue owners");
  ports->callback(runs(s, [&s](std::shared_ptr<grpc::Channel> ch) {
    auto stub = pb::Ports::NewStub(ch);
    grpc::ClientContext ctx;
    ctx.set_deadline(Session::deadline());
    pb::ListPortsResponse r;
    if (auto st = stub->ListPorts(&ctx, {}, &r); !st.ok()) return fail(st);
    if (!s.table()) return print_json(s, r), 0;
    std::printf("%-8s %-12s %-18s %-5s %5s %5s %9s %-9s %4s  %s\n", "port", "driver", "mac", "link", "rxq", "txq",
                "max rx/tx", "steering", "gen", "why / queue owners");
    for (const auto& p : r.ports()) {
      std::string owners;
      for (const auto& q : p.queues())
        owners.append(" ")
            .append(std::to_string(q.queue()))
            .append(q.role() == "dispatcher" ? "<d" : "<")
            .append(std::to_string(q.lcore()));
      // "up*": the peer backs fewer queues than the port opened (the why column says which).
      const bool short_peer =
          p.link_up() && (p.rx_queues_backed() < p.rx_queues() || p.tx_queues_backed() < p.tx_queues());
      std::string why = p.steering_reason();
      if (short_peer)
        why = "peer backs " + std::to_string(p.rx_queues_backed()) + " RX, " + std::to_string(p.tx_queues_backed()) +
              " TX queues; " + why;
      std::printf("%-8s %-12s %-18s %-5s %5u %5u %4u/%-4u %-9s %4llu  %s;%s\n", p.name().c_str(), p.driver().c_str(),
                  p.mac().c_str(),
                  short_peer    ? "up*"
                  : p.link_up() ? "up"
                                : "down",
                  p.rx_queues(), p.tx_queues(), p.max_rx_queues(), p.max_tx_queues(),
                  p.steered() ? p.steering_backend().c_str() : "-", (unsigned long long)p.generation(), why.c_str(),
                  owners.c_str());
    }
    return 0;
  }));
}

}  // namespace steerctl
