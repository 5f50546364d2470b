// steerctl: steerd's command line, a gRPC client of steer.v1. The commands
// live in one file per group (commands.h); this is their table.
#include <CLI/CLI.hpp>

#include "commands.h"
#include "session.h"

int main(int argc, char** argv) {
  using namespace steerctl;
  static constexpr void (*kGroups[])(CLI::App&, Session&) = {add_ports,  add_rss, add_flow, add_stats,
                                                             add_config, add_log, add_top};

  CLI::App app{"steerctl: control a running steerd"};
  app.require_subcommand(1);
  app.fallthrough();  // global options (-o, --socket) may follow the subcommand
  Session s;
  app.add_option("--socket", s.socket, "steerd's control socket")->capture_default_str();
  app.add_option("-o,--output", s.output, "table, json or yaml")->check(CLI::IsMember({"table", "json", "yaml"}));
  app.add_option("--address", s.address, "steerd over TCP, host:port (instead of --socket)");
  app.add_option("--ca", s.ca, "PEM CA that signed steerd's certificate (TLS)");
  app.add_option("--cert", s.cert, "PEM client certificate (mTLS)");
  app.add_option("--key", s.key, "PEM client key (mTLS)");
  app.add_flag("--insecure", s.insecure, "plain TCP (steerd allows it on loopback only)");
  for (auto add : kGroups) add(app, s);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return s.rc;
}
