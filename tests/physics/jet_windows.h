// Jet selection for tests that compare every event's leading jet: no pT
// minimum and |η| up to 10, so that no event is dropped by a window.
#pragma once

#include "physics/jets.h"

namespace jetimg::testing {

inline JetConfig open_windows() {
  JetConfig c;
  c.pt_min = 0;
  c.eta_max = 10;
  return c;
}

}  // namespace jetimg::testing
