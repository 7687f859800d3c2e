// Charges of particles from their PDG codes, checked against the charges the
// Review of Particle Physics lists.
#include <gtest/gtest.h>

#include "physics/pdg.h"

namespace jetimg {
namespace {

struct Known {
  int pdg;
  int three_charge;
  const char* name;
};

TEST(Pdg, ChargesOfKnownParticles) {
  const Known known[] = {
      {1, -1, "d"}, {-2, -2, "u-bar"}, {5, -1, "b"}, {6, 2, "t"}, {21, 0, "g"}, {22, 0, "photon"},
      {11, -3, "e-"}, {-11, 3, "e+"}, {13, -3, "mu-"}, {-15, 3, "tau+"}, {12, 0, "nu_e"}, {-16, 0, "nu_tau-bar"},
      {23, 0, "Z"}, {24, 3, "W+"}, {-24, -3, "W-"}, {25, 0, "h"},
      {111, 0, "pi0"}, {211, 3, "pi+"}, {-211, -3, "pi-"}, {130, 0, "K0_L"}, {310, 0, "K0_S"},
      {311, 0, "K0"}, {321, 3, "K+"}, {-321, -3, "K-"}, {221, 0, "eta"}, {331, 0, "eta'"}, {113, 0, "rho0"},
      {213, 3, "rho+"}, {223, 0, "omega"}, {333, 0, "phi"}, {323, 3, "K*+"},
      {411, 3, "D+"}, {-411, -3, "D-"}, {421, 0, "D0"}, {431, 3, "D_s+"}, {443, 0, "J/psi"},
      {511, 0, "B0"}, {521, 3, "B+"}, {-521, -3, "B-"}, {531, 0, "B_s0"}, {541, 3, "B_c+"}, {553, 0, "Upsilon"},
      {2212, 3, "p"}, {-2212, -3, "p-bar"}, {2112, 0, "n"}, {3122, 0, "Lambda"}, {3222, 3, "Sigma+"},
      {3112, -3, "Sigma-"}, {3212, 0, "Sigma0"}, {3312, -3, "Xi-"}, {3322, 0, "Xi0"}, {3334, -3, "Omega-"},
      {-3334, 3, "Omega-bar+"}, {2224, 6, "Delta++"}, {1114, -3, "Delta-"}, {4122, 3, "Lambda_c+"},
      {5122, 0, "Lambda_b0"}, {4222, 6, "Sigma_c++"},
      {100211, 3, "pi(1300)+"}, {10321, 3, "K0*(1430)+"}, {20213, 3, "a1(1260)+"},
      {1000020040, 6, "alpha"}, {1000010020, 3, "deuteron"}, {1000822080, 246, "Pb208"},
      {0, 0, "no particle"},
  };
  for (const Known& k : known) EXPECT_EQ(pdg_three_charge(k.pdg), k.three_charge) << k.name << " (" << k.pdg << ")";
  EXPECT_TRUE(pdg_is_charged(211));
  EXPECT_FALSE(pdg_is_charged(22));
  EXPECT_TRUE(pdg_is_charged(1));  // a quark, as the built-in parton-level events have
}

}  // namespace
}  // namespace jetimg
