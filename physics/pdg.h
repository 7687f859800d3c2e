// Electric charge from a PDG Monte Carlo particle code: quarks, leptons and
// bosons from a table, hadrons from the quark content the code spells
// (±n nr nL nq1 nq2 nq3 nJ), nuclei (10LZZZAAAI) from Z.
#pragma once

namespace jetimg {

// Three times the charge in units of e (quarks are then whole numbers: u = 2,
// d = -1). 0 for neutral particles and for codes that name no particle (0,
// generator-internal codes).
int pdg_three_charge(int pdg);

inline bool pdg_is_charged(int pdg) { return pdg_three_charge(pdg) != 0; }

}  // namespace jetimg
