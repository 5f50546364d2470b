#include "convert.h"
#include "services.h"
#include "steer/text.h"

namespace steer::rpc {

void PortsService::fill(size_t i, pb::Port* o) {
  const auto& pc = m.d.ports[i];
  const auto& pi = m.dp.ports()[i];
  o->set_name(pc.name);
  o->set_device(pc.device);
  o->set_driver(pi.caps.driver);
  o->set_port_id(pi.port_id);
  o->set_socket(pi.socket);
  o->set_mac(format_mac(pi.mac));
  o->set_rx_queues(pc.rx_queues);
  o->set_tx_queues(pc.tx_queues);
  o->set_max_rx_queues(pi.caps.max_rx_queues);
  o->set_max_tx_queues(pi.caps.max_tx_queues);
  o->set_steered(pi.steered);
  o->set_steering_backend(pi.steered ? to_string(pi.backend) : "");
  o->set_steering_reason(pi.backend_reason);
  o->set_generation(m.dp.generation(pc.name));
  const auto links = m.dp.links();
  if (i < links.size()) {
    o->set_link_up(links[i].up);
    o->set_link_speed_mbps(links[i].speed_mbps);
    o->set_rx_queues_backed(links[i].rx_backed);
    o->set_tx_queues_backed(links[i].tx_backed);
  }
  for (const auto& lc : m.d.lcores)
    for (const auto& [queues, role] : {std::pair{&lc.poll, "worker"}, std::pair{&lc.dispatch, "dispatcher"}})
      for (QueueId q : *queues)
        if (q.port == i) {
          auto* x = o->add_queues();
          x->set_queue(q.queue);
          x->set_lcore(lc.lcore);
          x->set_role(role);
        }
}

grpc::Status PortsService::ListPorts(grpc::ServerContext*, const pb::ListPortsRequest*, pb::ListPortsResponse* out) {
  if (!m.dp.running()) return {grpc::StatusCode::UNAVAILABLE, "steerd is starting or stopping"};
  for (size_t i = 0; i < m.d.ports.size(); ++i) fill(i, out->add_ports());
  return grpc::Status::OK;
}

grpc::Status PortsService::GetPort(grpc::ServerContext*, const pb::GetPortRequest* req, pb::Port* out) {
  if (!m.dp.running()) return {grpc::StatusCode::UNAVAILABLE, "steerd is starting or stopping"};
  for (size_t i = 0; i < m.d.ports.size(); ++i)
    if (m.d.ports[i].name == req->port()) {
      fill(i, out);
      return grpc::Status::OK;
    }
  return {grpc::StatusCode::NOT_FOUND, "port: no port named " + quote_name(req->port())};
}

}  // namespace steer::rpc
