// Reads a jets file (io/jets_file.h) in row ranges, so that stages after
// clustering stream files larger than memory.
#pragma once

#include <string>

#include "io/hdf5.h"
#include "io/images_file.h"
#include "io/jets_file.h"

namespace jetimg {

class JetsReader {
 public:
  // Opens and checks the layout; Error naming the file and what is wrong.
  explicit JetsReader(const std::string& path);
  int64_t size() const { return size_; }
  const Json& provenance() const { return provenance_; }
  const std::string& path() const { return file_.path(); }
  int max_constituents() const { return max_constituents_; }
  bool has_pdg() const { return has_pdg_; }
  // The label and the trimmed jet's pT of every jet (small columns).
  std::vector<int32_t> labels() const { return file_.read_all<int32_t>("label"); }
  std::vector<double> pt() const { return file_.read_all<double>("pt"); }
  // The constituents each jet stores.
  std::vector<int32_t> constituent_counts() const { return file_.read_all<int32_t>("n_constituents"); }
  // The per-jet values of jets [begin, begin + count) that scores files and
  // evaluations keep beside a score (of the trimmed jet, as images files
  // keep them), without the constituents.
  ImageAux read_aux(int64_t begin, int64_t count) const;
  // Jets [begin, begin + count) as a table (its `size` is `count`).
  JetsTable read(int64_t begin, int64_t count) const;

 private:
  h5::File file_;
  int64_t size_ = 0;
  int max_constituents_ = 0, max_subjets_ = 0;
  bool has_pdg_ = false;  // the file stores each constituent's PDG code (version 3 and later)
  Json provenance_;
};

}  // namespace jetimg
