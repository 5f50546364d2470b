#include "steering_calls.h"

#include "output.h"

namespace steerctl {

namespace pb = ::steer::v1;

int get_steering(std::shared_ptr<grpc::Channel> ch, const std::string& port, pb::Steering* out) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Session::deadline());
  pb::GetSteeringRequest req;
  req.set_port(port);
  if (auto st = pb::SteeringService::NewStub(ch)->GetSteering(&ctx, req, out); !st.ok()) return fail(st);
  return 0;
}

int send_change(Session& s, std::shared_ptr<grpc::Channel> ch, pb::ChangeRequest req, const std::string& port,
                int64_t expect_gen) {
  req.set_port(port);
  if (expect_gen >= 0) req.set_expected_generation(uint64_t(expect_gen));
  grpc::ClientContext ctx;
  ctx.set_deadline(Session::deadline());
  pb::ChangeReport rep;
  if (auto st = pb::SteeringService::NewStub(ch)->Change(&ctx, req, &rep); !st.ok()) return fail(st);
  print_report(s, rep);
  return 0;
}

}  // namespace steerctl
