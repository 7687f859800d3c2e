// The project's events file (HDF5): the final-state particles of each event.
//
//   particles     (P, 4) float64  E, px, py, pz in GeV, events one after another
//   pdg           (P)    int32    PDG code of each particle
//   n_particles   (N)    int32    particles per event
//   attributes: format = "jetimg-events", version = 1,
//               provenance = JSON (process, seed, generator settings)
//
// Written in chunks while events stream in; read back in row ranges.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "io/atomic_output.h"
#include "core/config.h"
#include "io/hdf5.h"
#include "physics/event.h"

namespace jetimg {

class EventsWriter {
 public:
  EventsWriter(const std::string& path, const Json& provenance);
  void write(const std::vector<Event>& events);
  // Closes the file and moves it into place; without it nothing is left behind.
  void finish();
  int64_t events_written() const { return n_particles_.rows(); }

 private:
  AtomicOutput output_;
  h5::File file_;
  h5::Appender<double> particles_;
  h5::Appender<int32_t> pdg_;
  h5::Appender<int32_t> n_particles_;
};

class EventsReader {
 public:
  // Opens and checks the layout; Error naming the file and what is wrong.
  explicit EventsReader(const std::string& path);
  int64_t size() const { return static_cast<int64_t>(offsets_.size()) - 1; }
  const Json& provenance() const { return provenance_; }
  const std::string& path() const { return file_.path(); }
  // Events [first, first + count); a NaN, infinite or negative-energy
  // particle is an Error naming the event and the particle.
  std::vector<Event> read(int64_t first, int64_t count) const;

 private:
  h5::File file_;
  std::vector<int64_t> offsets_;
  Json provenance_;
};

}  // namespace jetimg
