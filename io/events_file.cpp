#include "io/events_file.h"

#include <cmath>

#include "core/error.h"

namespace jetimg {

EventsWriter::EventsWriter(const std::string& path, const Json& provenance)
    : output_(path),
      file_(h5::File::create(output_.temp_path(), output_.path())),
      particles_(file_, "particles", {4}, 16384),
      pdg_(file_, "pdg", {}, 16384),
      n_particles_(file_, "n_particles", {}, 4096) {
  file_.write_attribute("format", std::string("jetimg-events"));
  file_.write_attribute("version", int64_t{1});
  file_.write_attribute("provenance", provenance.dump());
}

void EventsWriter::write(const std::vector<Event>& events) {
  std::vector<double> momenta;
  std::vector<int32_t> pdg, counts;
  counts.reserve(events.size());
  for (const Event& event : events) {
    counts.push_back(static_cast<int32_t>(event.size()));
    for (const Particle& particle : event) {
      momenta.insert(momenta.end(), {particle.p.E, particle.p.px, particle.p.py, particle.p.pz});
      pdg.push_back(particle.pdg);
    }
  }
  particles_.append(momenta.data(), pdg.size());
  pdg_.append(pdg.data(), pdg.size());
  n_particles_.append(counts.data(), counts.size());
}

void EventsWriter::finish() {
  file_.close();
  output_.commit();
}

EventsReader::EventsReader(const std::string& path) : file_(h5::File::open(path)) {
  file_.require_format("jetimg-events", 1, "a jetimg events file");
  const auto particle_dims = file_.require("particles", {h5::kAnySize, 4}, h5::Elements::Float64).dims;
  file_.require("pdg", {static_cast<int64_t>(particle_dims[0])}, h5::Elements::Int32);
  file_.require("n_particles", {h5::kAnySize}, h5::Elements::Int32);
  const std::vector<int32_t> counts = file_.read_all<int32_t>("n_particles");
  offsets_.assign(counts.size() + 1, 0);
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] < 0) fail("'", path, "': event ", i, " has a negative particle count (", counts[i], ")");
    offsets_[i + 1] = offsets_[i] + counts[i];
  }
  if (offsets_.back() != static_cast<int64_t>(particle_dims[0]))
    fail("'", path, "': n_particles adds up to ", offsets_.back(), " particles but 'particles' has ", particle_dims[0]);
  provenance_ = file_.read_json_attribute("provenance");
}

std::vector<Event> EventsReader::read(int64_t first, int64_t count) const {
  if (first < 0 || count < 0 || first + count > size())
    fail("'", file_.path(), "': events [", first, ", ", first + count, ") are outside the file's ", size(), " events");
  const int64_t begin = offsets_[static_cast<size_t>(first)], end = offsets_[static_cast<size_t>(first + count)];
  std::vector<double> momenta(static_cast<size_t>(4 * (end - begin)));
  std::vector<int32_t> pdg(static_cast<size_t>(end - begin));
  file_.read_rows("particles", static_cast<hsize_t>(begin), static_cast<hsize_t>(end - begin), momenta);
  file_.read_rows("pdg", static_cast<hsize_t>(begin), static_cast<hsize_t>(end - begin), pdg);
  std::vector<Event> events(static_cast<size_t>(count));
  for (int64_t e = 0; e < count; ++e) {
    const int64_t lo = offsets_[static_cast<size_t>(first + e)] - begin, hi = offsets_[static_cast<size_t>(first + e + 1)] - begin;
    Event& event = events[static_cast<size_t>(e)];
    event.reserve(static_cast<size_t>(hi - lo));
    for (int64_t i = lo; i < hi; ++i) {
      const double* m = &momenta[static_cast<size_t>(4 * i)];
      if (!(std::isfinite(m[0]) && std::isfinite(m[1]) && std::isfinite(m[2]) && std::isfinite(m[3])))
        fail("'", file_.path(), "': event ", first + e, ", particle ", i - lo, " has a NaN or infinite momentum");
      if (m[0] < 0) fail("'", file_.path(), "': event ", first + e, ", particle ", i - lo, " has negative energy ", m[0]);
      event.push_back({{m[0], m[1], m[2], m[3]}, pdg[static_cast<size_t>(i)]});
    }
  }
  return events;
}

}  // namespace jetimg
