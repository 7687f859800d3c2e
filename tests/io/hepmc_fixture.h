// A small generator record for reader tests that need no data files: two
// events of beams -> hard vertex -> a W (decaying to u d-bar), a neutrino and
// six pions, written by HepMC3's own HepMC2 or HepMC3 writer.
#pragma once

#include <HepMC3/GenEvent.h>
#include <HepMC3/GenParticle.h>
#include <HepMC3/GenVertex.h>
#include <HepMC3/Setup.h>
#include <HepMC3/WriterAscii.h>
#include <HepMC3/WriterAsciiHepMC2.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

namespace jetimg::testing {

// Writes the two events to `path` (version 2 or 3) and returns the file's text.
inline std::string write_hepmc(const std::string& path, int version) {
  HepMC3::Setup::set_print_warnings(false);  // "HepMC2 format is outdated"
  HepMC3::GenEvent event(HepMC3::Units::GEV, HepMC3::Units::MM);
  {
    auto beam1 = std::make_shared<HepMC3::GenParticle>(HepMC3::FourVector(0, 0, 6500, 6500), 2212, 4);
    auto beam2 = std::make_shared<HepMC3::GenParticle>(HepMC3::FourVector(0, 0, -6500, 6500), 2212, 4);
    auto hard = std::make_shared<HepMC3::GenVertex>();
    hard->add_particle_in(beam1);
    hard->add_particle_in(beam2);
    event.add_vertex(hard);
    std::shared_ptr<HepMC3::GenParticle> w;
    for (int i = 0; i < 8; ++i) {
      const double px = 10.0 * (i + 1), py = -5.0 * i, pz = 3.0 * i - 7;
      const int pdg = i == 0 ? 24 : (i == 3 ? 12 : 211);
      auto p = std::make_shared<HepMC3::GenParticle>(
          HepMC3::FourVector(px, py, pz, std::sqrt(px * px + py * py + pz * pz + 1)), pdg, i == 0 ? 2 : 1);
      hard->add_particle_out(p);
      if (i == 0) w = p;
    }
    auto decay = std::make_shared<HepMC3::GenVertex>(HepMC3::FourVector(0.1, 0, 0, 0.2));
    decay->add_particle_in(w);
    decay->add_particle_out(std::make_shared<HepMC3::GenParticle>(HepMC3::FourVector(6, 0, 0, 6), 2, 1));
    decay->add_particle_out(std::make_shared<HepMC3::GenParticle>(HepMC3::FourVector(4, 0, 0, 4.2), -1, 1));
    event.add_vertex(decay);
  }
  event.weights() = {1.5};
  if (version == 2) {
    HepMC3::WriterAsciiHepMC2 writer(path);
    writer.write_event(event);
    event.set_event_number(1);
    writer.write_event(event);
    writer.close();
  } else {
    HepMC3::WriterAscii writer(path);
    writer.write_event(event);
    event.set_event_number(1);
    writer.write_event(event);
    writer.close();
  }
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace jetimg::testing
