// steerctl's command groups. Each adds its subcommands to the app; the
// subcommand that is given runs as its callback and leaves the exit code in
// the session. main.cpp holds the table of groups.
#pragma once

#include <CLI/CLI.hpp>

#include "session.h"

namespace steerctl {

void add_ports(CLI::App& app, Session& s);   // ports
void add_rss(CLI::App& app, Session& s);     // rss show | set-reta | set-key
void add_flow(CLI::App& app, Session& s);    // flow list | add | replace | del
void add_stats(CLI::App& app, Session& s);   // stats [--watch], events, reports
void add_config(CLI::App& app, Session& s);  // apply -f, get running, diff, save
void add_log(CLI::App& app, Session& s);     // log [LEVEL] [--dpdk LEVEL]
void add_top(CLI::App& app, Session& s);     // top [--interval MS]

}  // namespace steerctl
