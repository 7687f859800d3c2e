// The jobs the tool's subcommands run, called as the library (and the Python
// module) calls them: jets -> images and the mean image, per-pixel image
// statistics, the scores file written and read back, and the comparison of
// two showers files. Each is checked against values computed here by hand
// from what the files hold.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "core/context.h"
#include "core/error.h"
#include "io/hdf5.h"
#include "io/image_stats.h"
#include "io/images_file.h"
#include "io/imaging.h"
#include "io/jets_file.h"
#include "io/scores_file.h"
#include "io/shower_report.h"
#include "io/showers_file.h"
#include "physics/calorimeter.h"
#include "physics/generator.h"
#include "physics/jets.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A jets file of the leading jets of a few built-in W events.
std::string small_jets_file(const std::string& dir, int64_t events) {
  quiet_fastjet();
  const std::vector<Event> generated = generate_events(GeneratorConfig::defaults(Process::W), 11, 0, events);
  std::vector<Jet> jets;
  std::vector<int64_t> rows;
  const std::vector<std::optional<Jet>> leading = leading_jets(generated, JetConfig{});
  for (size_t i = 0; i < leading.size(); ++i)
    if (leading[i]) jets.push_back(*leading[i]), rows.push_back(static_cast<int64_t>(i));
  const std::string path = dir + "/jets.h5";
  JetsWriter writer(path, 200, 4, Json::object());
  writer.write(jets, 1, std::vector<float>(jets.size(), 1.0f), rows);
  writer.finish();
  return path;
}

std::vector<float> all_images(const ImagesReader& reader) {
  std::vector<float> images(static_cast<size_t>(reader.size() * reader.image_floats()));
  reader.read_images(0, reader.size(), images.data());
  return images;
}

// One images file shared by the image tests (made once: clustering is the slow part).
const std::string& images_file() {
  static const std::string path = [] {
    const std::string dir = testing::scratch_dir("library_jobs_images");
    const std::string images = dir + "/images.h5";
    make_images_file(small_jets_file(dir, 40), images, load_imaging_config("w"), Device::cpu(), 7);
    return images;
  }();
  return path;
}

TEST(LibraryJobs, MakeImagesFileWritesOneImagePerJetAndReportsEachBatch) {
  const std::string dir = testing::scratch_dir("images");
  const std::string jets = small_jets_file(dir, 30);
  const int64_t n = read_jets(jets).size;
  ASSERT_GT(n, 10);
  std::vector<int64_t> batches;
  const ImagingSummary s = make_images_file(jets, dir + "/images.h5", load_imaging_config("w"), Device::cpu(), 4,
                                            [&](int64_t count) { batches.push_back(count); });
  EXPECT_EQ(s.jets, n);
  ASSERT_EQ(static_cast<int64_t>(batches.size()), (n + 3) / 4);
  int64_t total = 0;
  for (int64_t b : batches) {
    EXPECT_LE(b, 4);
    total += b;
  }
  EXPECT_EQ(total, n);
  const ImagesReader reader(dir + "/images.h5");
  EXPECT_EQ(reader.size(), n);
  EXPECT_EQ(reader.height(), 25);
  EXPECT_EQ(reader.width(), 25);
  EXPECT_EQ(reader.read_aux(0, n).pt, read_jets(jets).pt);
}

TEST(LibraryJobs, MeanImageIsTheMeanOfTheImagesReadBack) {
  const ImagesReader reader(images_file());
  ASSERT_GT(reader.size(), 10);
  const std::vector<float> images = all_images(reader);
  const size_t plane = static_cast<size_t>(reader.height() * reader.width());
  std::vector<double> expected(plane, 0.0);
  for (int64_t i = 0; i < reader.size(); ++i)
    for (size_t k = 0; k < plane; ++k) expected[k] += images[static_cast<size_t>(i) * plane + k];
  for (double& v : expected) v /= static_cast<double>(reader.size());
  const std::vector<double> got = mean_image(images_file(), Device::cpu(), 3);
  ASSERT_EQ(got.size(), plane);
  double total = 0;
  for (size_t k = 0; k < plane; ++k) {
    EXPECT_NEAR(got[k], expected[k], 1e-6 + 1e-5 * std::abs(expected[k])) << k;
    total += got[k];
  }
  EXPECT_GT(total, 0.1);  // the images hold something
}

TEST(LibraryJobs, ImageStatisticsMatchTheImagesReadBack) {
  const ImagesReader reader(images_file());
  const int64_t n = reader.size();
  const size_t floats = static_cast<size_t>(reader.image_floats());
  const std::vector<float> images = all_images(reader);
  const std::vector<double> pt = reader.read_aux(0, n).pt;
  // Flat pT by hand: each jet weighs 1 / (jets in its pT bin); the overall
  // normalisation cancels in the weighted mean.
  const int bins = 3;
  const double lo = *std::min_element(pt.begin(), pt.end()), hi = *std::max_element(pt.begin(), pt.end());
  const auto bin_of = [&](double v) { return std::min(bins - 1, static_cast<int>((v - lo) / ((hi - lo) / bins))); };
  std::map<int, int> in_bin;
  for (double v : pt) ++in_bin[bin_of(v)];
  std::vector<double> mean(floats), square(floats), flat(floats);
  double flat_total = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double w = 1.0 / in_bin[bin_of(pt[static_cast<size_t>(i)])];
    flat_total += w;
    for (size_t k = 0; k < floats; ++k) {
      const double x = images[static_cast<size_t>(i) * floats + k];
      mean[k] += x / n, square[k] += x * x / n, flat[k] += w * x;
    }
  }
  Context ctx(Device::cpu(), 1);
  int64_t seen = 0;
  const ImageStats s = image_statistics(ctx, images_file(), 6, bins, [&](int64_t count) { seen += count; });
  EXPECT_EQ(seen, n);
  EXPECT_EQ(s.images, n);
  EXPECT_EQ(s.channels, 1);
  EXPECT_EQ(s.height, reader.height());
  EXPECT_EQ(s.pt_bins, bins);
  ASSERT_EQ(s.mean.size(), floats);
  double max_std = 0;
  for (size_t k = 0; k < floats; ++k) {
    const double sd = std::sqrt(std::max(0.0, square[k] - mean[k] * mean[k]));
    EXPECT_NEAR(s.mean[k], mean[k], 1e-6 + 1e-5 * mean[k]) << k;
    EXPECT_NEAR(s.stddev[k], sd, 1e-5 + 1e-4 * sd) << k;
    EXPECT_NEAR(s.mean_flat_pt[k], flat[k] / flat_total, 1e-6 + 1e-5 * flat[k] / flat_total) << k;
    max_std = std::max(max_std, sd);
  }
  EXPECT_NEAR(s.max_std, max_std, 1e-4 * max_std);

  // The file `jetimg stats` writes from them.
  const std::string path = testing::scratch_dir("stats") + "/stats.h5";
  write_image_stats(path, s);
  const h5::File file = h5::File::open(path);
  file.require_format("jetimg-image-stats", 1, "an image statistics file");
  for (const char* name : {"mean", "std", "mean_flat_pt"})
    file.require(name, {1, reader.height(), reader.width()}, h5::Elements::Float32);
  EXPECT_EQ(file.read_all<float>("std"), s.stddev);
  EXPECT_EQ(file.read_int_attribute("images"), n);
  EXPECT_EQ(file.read_int_attribute("pt_bins"), bins);
  EXPECT_EQ(file.read_string_attribute("input"), images_file());
}

TEST(LibraryJobs, ImageStatisticsRefuseAnEmptyFile) {
  const std::string path = testing::scratch_dir("stats") + "/empty.h5";
  ImagesWriter(path, 1, 4, 4, Json::object(), Json::object()).finish();
  Context ctx(Device::cpu(), 1);
  const std::string message = testing::error_message_of([&] { image_statistics(ctx, path, 10, 5); });
  EXPECT_TRUE(contains(message, "empty.h5' holds no images")) << message;
}

ImageAux three_jets() {
  ImageAux aux;
  aux.pt = {250, 300, 275.5}, aux.eta = {0, 0.5, -1}, aux.phi = {0, 1, 2}, aux.mass = {80, 20, 60};
  aux.trimmed_mass = {79, 15, 55}, aux.tau21 = {0.3, 0.7, 0.5}, aux.tau32 = {0.6, 0.8, 0.7};
  aux.weight = {1, 0.5f, 2}, aux.label = {1, 0, 1};
  return aux;
}

TEST(LibraryJobs, ScoresFileRoundTrip) {
  const std::string path = testing::scratch_dir("scores") + "/scores.h5";
  const ImageAux aux = three_jets();
  const std::vector<float> scores = {0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f};
  write_scores_file(path, scores, 2, aux, "best.h5", "images.h5");
  const ScoresFile s = read_scores_file(path);
  EXPECT_EQ(s.rows, 3);
  EXPECT_EQ(s.outputs, 2);
  EXPECT_EQ(s.score, scores);
  EXPECT_EQ(s.label, aux.label);
  EXPECT_EQ(s.weight, aux.weight);
  EXPECT_EQ(s.pt, aux.pt);
  EXPECT_EQ(s.trimmed_mass, aux.trimmed_mass);
  EXPECT_EQ(s.tau21, aux.tau21);
  EXPECT_EQ(s.checkpoint, "best.h5");
  EXPECT_EQ(s.images, "images.h5");

  // Scores that do not fit the jets are refused before anything is written.
  const std::string bad = testing::scratch_dir("scores") + "/bad.h5";
  EXPECT_TRUE(contains(testing::error_message_of([&] { write_scores_file(bad, scores, 3, aux, "c", "i"); }),
                       "6 scores for 3 images of 3 outputs"));
  EXPECT_FALSE(std::filesystem::exists(bad));
}

TEST(LibraryJobs, MalformedScoresFilesAreRefusedNamingFileAndDataset) {
  const std::string dir = testing::scratch_dir("scores");
  const ImageAux aux = three_jets();
  // A scores file whose columns are built one by one, with one thing wrong.
  const auto write = [&](const std::string& name, hsize_t score_outputs, size_t label_rows, bool scalar_score) {
    const std::string path = dir + "/" + name;
    h5::File file = h5::File::create(path);
    const std::vector<float> scores(6, 0.5f);
    if (scalar_score) {
      h5::Appender<float> score(file, "score", {});
      score.append(scores.data(), 3);
    } else {
      h5::Appender<float> score(file, "score", {score_outputs});
      score.append(scores.data(), score_outputs ? 6 / score_outputs : 0);
    }
    h5::Appender<int32_t> label(file, "label", {});
    label.append(aux.label.data(), label_rows);
    h5::Appender<float> weight(file, "weight", {});
    weight.append(aux.weight.data(), 3);
    for (const char* column : {"pt", "trimmed_mass", "tau21"}) {
      h5::Appender<double> values(file, column, {});
      values.append(aux.pt.data(), 3);
    }
    file.write_attribute("format", std::string("jetimg-scores"));
    file.write_attribute("checkpoint", std::string("c.h5"));
    file.write_attribute("images", std::string("i.h5"));
    file.close();
    return testing::error_message_of([&] { read_scores_file(path); });
  };
  EXPECT_EQ(write("good.h5", 2, 3, false), "");
  const std::string one_dimensional = write("flat_score.h5", 0, 3, true);
  EXPECT_TRUE(contains(one_dimensional, "flat_score.h5': dataset 'score' is (3")) << one_dimensional;
  EXPECT_TRUE(contains(one_dimensional, "float32")) << one_dimensional;
  const std::string short_label = write("short_label.h5", 2, 2, false);
  EXPECT_TRUE(contains(short_label, "short_label.h5': dataset 'label' is (2")) << short_label;
  EXPECT_TRUE(contains(short_label, "expected (3")) << short_label;
  const std::string not_scores = testing::error_message_of([&] { read_scores_file(images_file()); });
  EXPECT_TRUE(contains(not_scores, "is not a jetimg scores file")) << not_scores;
}

std::string showers_file(const std::string& dir, int64_t n) {
  const std::string path = dir + "/showers.h5";
  ShowersWriter writer(path, calogan_geometry(), Json::object());
  writer.write(simulate_showers(CaloSimSettings{}, CaloParticle::Positron, uniform_energies(5, 50, n, 3, 0), 3, 0));
  writer.finish();
  return path;
}

TEST(LibraryJobs, ASampleComparedWithItselfIsAtDistanceZero) {
  const std::string dir = testing::scratch_dir("compare");
  CompareSettings settings;
  settings.reference = settings.generated = showers_file(dir, 25);
  settings.chunk = 7, settings.bins = 10;
  settings.generated_label = "again";
  std::map<std::string, std::vector<int64_t>> progress;
  const ShowerReport r = compare_shower_files(
      settings, [&](const std::string& role, int64_t done, int64_t total) {
        EXPECT_EQ(total, 25);
        progress[role].push_back(done);
      });
  const std::vector<int64_t> steps = {0, 7, 14, 21, 25};
  EXPECT_EQ(progress["reference"], steps);
  EXPECT_EQ(progress["generated"], steps);
  EXPECT_EQ(r.reference.showers, 25);
  EXPECT_EQ(r.reference.label, "showers.h5");
  EXPECT_EQ(r.generated.label, "again");
  EXPECT_EQ(r.position_unit, "mm");
  ASSERT_EQ(r.distances.size(), r.reference.shapes.columns.size());
  ASSERT_GT(r.distances.size(), 20u);
  for (const ShapeDistance& d : r.distances) {
    EXPECT_EQ(d.w1, 0.0) << d.name;
    EXPECT_EQ(d.w1_normalised, 0.0) << d.name;
    EXPECT_EQ(d.chi2.chi2, 0.0) << d.name;
  }
  EXPECT_EQ(r.mean_w1_normalised, 0.0);
  ASSERT_EQ(r.reference.mean_layers.size(), 3u);
  EXPECT_EQ(r.reference.mean_layers, r.generated.mean_layers);
  double layer_1 = 0;
  for (double v : r.reference.mean_layers[1]) layer_1 += v;
  EXPECT_GT(layer_1, 0);

  // The report folder: one histogram per shape, two maps per layer, the JSON.
  const std::string out = dir + "/report";
  std::filesystem::create_directories(out);
  write_shower_report(out, r);
  std::set<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(out)) files.insert(entry.path().filename().string());
  EXPECT_EQ(files.size(), r.distances.size() + 6 + 1);
  EXPECT_TRUE(files.count("report.json"));
  EXPECT_TRUE(files.count("mean_layer_2_generated.png"));
  EXPECT_TRUE(files.count(r.distances[0].name + ".png"));
  const Json report = shower_report_json(r);
  EXPECT_EQ(report["mean_w1_normalised"], 0.0);
  EXPECT_EQ(report["generated"]["label"], "again");
  EXPECT_EQ(report["shapes"].size(), r.distances.size());
}

TEST(LibraryJobs, CompareRefusesDifferentCalorimeters) {
  const std::string dir = testing::scratch_dir("compare");
  CompareSettings settings;
  settings.reference = showers_file(dir, 4);
  settings.generated = dir + "/other.h5";
  ShowerBatch other;
  other.energy = Tensor::from_vector({10.0f}, {1, 1});
  other.layers = {Tensor::from_vector(std::vector<float>(16, 1.0f), {1, 4, 4})};
  other.overflow = Tensor::from_vector({0.0f}, {1, 1});
  ShowersWriter writer(settings.generated, {{4, 4}}, Json::object());
  writer.write(other);
  writer.finish();
  const std::string message = testing::error_message_of([&] { compare_shower_files(settings); });
  EXPECT_TRUE(contains(message, "other.h5' has layers 4x4 but")) << message;
}

}  // namespace
}  // namespace jetimg
