#include "steer/eal.h"

#include <cctype>

namespace steer {

bool is_pci_address(const std::string& device) {
  std::string dev = device.substr(0, device.find(','));
  // [dddd:]bb:dd.f, hex digits
  auto hex = [&](size_t from, size_t n) {
    if (from + n > dev.size()) return false;
    for (size_t i = from; i < from + n; ++i)
      if (!std::isxdigit(static_cast<unsigned char>(dev[i]))) return false;
    return true;
  };
  size_t o = dev.size() == 12 ? 5 : dev.size() == 7 ? 0 : std::string::npos;
  if (o == std::string::npos) return false;
  if (o == 5 && (!hex(0, 4) || dev[4] != ':')) return false;
  return hex(o, 2) && dev[o + 2] == ':' && hex(o + 3, 2) && dev[o + 5] == '.' && dev[o + 6] >= '0' && dev[o + 6] <= '7';
}

std::vector<std::string> eal_args(const Deployment& d, const std::string& argv0) {
  std::vector<std::string> a{
      argv0,           "--lcores",       d.eal.lcores, "--main-lcore", std::to_string(d.eal.main_lcore),
      "--file-prefix", d.eal.file_prefix};
  if (d.eal.hugepages) {
    a.insert(a.end(), {"--socket-mem", std::to_string(d.eal.memory_mb)});
  } else {
    a.insert(a.end(), {"--no-huge", "-m", std::to_string(d.eal.memory_mb)});
  }
  bool pci = false;
  for (const auto& p : d.ports)
    if (is_pci_address(p.device)) {
      a.insert(a.end(), {"-a", p.device});
      pci = true;
    }
  if (!pci) a.push_back("--no-pci");
  a.insert(a.end(), d.eal.extra_args.begin(), d.eal.extra_args.end());
  return a;
}

}  // namespace steer
