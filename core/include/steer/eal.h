// EAL arguments are built from the deployment in code, not typed by hand: the
// lcore map, main lcore, memory, hugepages or not, the file prefix, PCI
// probing only for the PCI devices the ports name, then extra_args verbatim.
#pragma once

#include <string>
#include <vector>

#include "steer/model.h"

namespace steer {

// True for "0000:01:00.0" and "01:00.0" (a PCI address), false for a vdev.
bool is_pci_address(const std::string& device);

std::vector<std::string> eal_args(const Deployment& d, const std::string& argv0);

}  // namespace steer
