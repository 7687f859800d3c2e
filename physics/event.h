// An event as jetimg sees it: the final-state particles (four-momenta in GeV
// with a PDG code). Built-in events use partons for particles: 21 gluon,
// ±1..5 quarks; 211 soft underlying activity; 0 a calorimeter tower.
#pragma once

#include <vector>

#include "physics/fourvector.h"

namespace jetimg {

struct Particle {
  FourVector p;
  int pdg = 0;
};

using Event = std::vector<Particle>;

}  // namespace jetimg
