#include "io/jets_reader.h"

#include "core/error.h"

namespace jetimg {

JetsReader::JetsReader(const std::string& path) : file_(h5::File::open(path)) {
  if (!file_.has_attribute("format") || file_.read_string_attribute("format") != "jetimg-jets")
    fail("'", path, "' is not a jetimg jets file (attribute format = \"jetimg-jets\" is missing)");
  const auto dims = file_.dims("constituents");
  if (dims.size() != 3 || dims[2] != 4) fail("'", path, "': dataset 'constituents' must have shape (N, M, 4)");
  size_ = static_cast<int64_t>(dims[0]);
  max_constituents_ = static_cast<int>(dims[1]);
  const auto subjet_dims = file_.dims("subjets");
  if (subjet_dims.size() != 3 || subjet_dims[0] != dims[0] || subjet_dims[2] != 4)
    fail("'", path, "': dataset 'subjets' must have shape (", dims[0], ", S, 4)");
  max_subjets_ = static_cast<int>(subjet_dims[1]);
  for (const char* name : {"n_constituents", "constituent_in_trimmed", "jet", "trimmed_jet", "n_subjets", "pt", "eta",
                           "phi", "mass", "trimmed_mass", "tau1", "tau2", "tau3", "tau21", "tau32", "weight", "label",
                           "event_index"}) {
    if (!file_.has(name))
      fail("'", path, "': dataset '", name, "' is missing", std::string(name).rfind("tau", 0) == 0
                                                                 ? " (a jets file of version 1? run jetimg cluster again)"
                                                                 : "");
    const auto d = file_.dims(name);
    if (d.empty() || d[0] != dims[0]) fail("'", path, "': dataset '", name, "' must have ", dims[0], " rows");
  }
  if (file_.has("constituent_pdg")) {
    const auto d = file_.dims("constituent_pdg");
    if (d.size() != 2 || d[0] != dims[0] || d[1] != dims[1])
      fail("'", path, "': dataset 'constituent_pdg' must have shape (", dims[0], ", ", dims[1], ")");
    has_pdg_ = true;
  }
  try {
    provenance_ = Json::parse(file_.read_string_attribute("provenance"));
  } catch (const Json::parse_error&) {
    fail("'", path, "': attribute 'provenance' is not valid JSON");
  }
}

JetsTable JetsReader::read(int64_t begin, int64_t count) const {
  if (begin < 0 || count < 0 || begin + count > size_)
    fail("'", file_.path(), "': jets [", begin, ", ", begin + count, ") are outside the file's ", size_, " jets");
  JetsTable t;
  t.size = count;
  t.source = file_.path();
  t.first_row = begin;
  t.max_constituents = max_constituents_;
  t.max_subjets = max_subjets_;
  t.provenance = provenance_;
  const auto column = [&](const char* name, auto& values, int64_t per_row) {
    values.resize(static_cast<size_t>(count * per_row));
    file_.read_rows(name, static_cast<hsize_t>(begin), static_cast<hsize_t>(count), values.data());
  };
  column("constituents", t.constituents, int64_t(max_constituents_) * 4);
  column("n_constituents", t.n_constituents, 1);
  column("constituent_in_trimmed", t.constituent_in_trimmed, max_constituents_);
  if (has_pdg_) column("constituent_pdg", t.constituent_pdg, max_constituents_);
  column("jet", t.jet, 4);
  column("trimmed_jet", t.trimmed_jet, 4);
  column("subjets", t.subjets, int64_t(max_subjets_) * 4);
  column("n_subjets", t.n_subjets, 1);
  column("pt", t.pt, 1);
  column("eta", t.eta, 1);
  column("phi", t.phi, 1);
  column("mass", t.mass, 1);
  column("trimmed_mass", t.trimmed_mass, 1);
  column("tau1", t.tau1, 1);
  column("tau2", t.tau2, 1);
  column("tau3", t.tau3, 1);
  column("tau21", t.tau21, 1);
  column("tau32", t.tau32, 1);
  column("weight", t.weight, 1);
  column("label", t.label, 1);
  column("event_index", t.event_index, 1);
  for (int64_t j = 0; j < count; ++j) {
    if (t.n_constituents[j] < 0 || t.n_constituents[j] > max_constituents_)
      fail("'", file_.path(), "': jet ", begin + j, " has n_constituents = ", t.n_constituents[j], " (expected 0..",
           max_constituents_, ")");
    if (t.n_subjets[j] < 0 || t.n_subjets[j] > max_subjets_)
      fail("'", file_.path(), "': jet ", begin + j, " has n_subjets = ", t.n_subjets[j], " (expected 0..",
           max_subjets_, ")");
  }
  return t;
}

}  // namespace jetimg
