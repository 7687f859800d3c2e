// The scores file written by `jetimg predict` (layout in io/scores_file.h).
#include "io/scores_file.h"

#include "core/error.h"
#include "io/atomic_output.h"
#include "io/hdf5.h"

namespace jetimg {

void write_scores_file(const std::string& path, const std::vector<float>& scores, int64_t outputs,
                       const ImageAux& aux, const std::string& checkpoint, const std::string& images) {
  const size_t n = aux.size();
  if (outputs < 1 || scores.size() != n * static_cast<size_t>(outputs))
    fail("write_scores_file '", path, "': ", scores.size(), " scores for ", n, " images of ", outputs,
         " outputs each");
  if (aux.weight.size() != n || aux.pt.size() != n || aux.trimmed_mass.size() != n || aux.tau21.size() != n)
    fail("write_scores_file '", path, "': the per-jet columns have different lengths");
  AtomicOutput output(path);
  {
    h5::File file = h5::File::create(output.temp_path(), output.path());
    h5::Appender<float> score(file, "score", {static_cast<hsize_t>(outputs)});
    score.append(scores.data(), n);
    h5::Appender<int32_t> label(file, "label", {});
    label.append(aux.label.data(), n);
    h5::Appender<float> weight(file, "weight", {});
    weight.append(aux.weight.data(), n);
    for (const auto& [name, values] : {std::pair<const char*, const std::vector<double>*>{"pt", &aux.pt},
                                       {"trimmed_mass", &aux.trimmed_mass},
                                       {"tau21", &aux.tau21}}) {
      h5::Appender<double> column(file, name, {});
      column.append(values->data(), values->size());
    }
    file.write_attribute("format", std::string("jetimg-scores"));
    file.write_attribute("checkpoint", checkpoint);
    file.write_attribute("images", images);
    file.close();
  }
  output.commit();
}

ScoresFile read_scores_file(const std::string& path) {
  using h5::Elements;
  const h5::File file = h5::File::open(path);
  file.require_format("jetimg-scores", 1, "a jetimg scores file");
  const std::vector<hsize_t> d = file.require("score", {h5::kAnySize, h5::kAnySize}, Elements::Float32).dims;
  if (d[1] < 1) fail("'", path, "': dataset 'score' is ", h5::shape_string(d), ": expected at least one output");
  ScoresFile s;
  s.rows = static_cast<int64_t>(d[0]), s.outputs = static_cast<int64_t>(d[1]);
  file.require("label", {s.rows}, Elements::Int32);
  file.require("weight", {s.rows}, Elements::Float32);
  for (const char* name : {"pt", "trimmed_mass", "tau21"}) file.require(name, {s.rows}, Elements::Float64);
  s.score = file.read_all<float>("score");
  s.label = file.read_all<int32_t>("label");
  s.weight = file.read_all<float>("weight");
  s.pt = file.read_all<double>("pt");
  s.trimmed_mass = file.read_all<double>("trimmed_mass");
  s.tau21 = file.read_all<double>("tau21");
  s.checkpoint = file.read_string_attribute("checkpoint");
  s.images = file.read_string_attribute("images");
  return s;
}

}  // namespace jetimg
