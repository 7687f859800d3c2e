// Run configs: defaults, overrides, and errors that name the file and key.
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "io/run_config.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

TEST(RunConfig, DefaultsAndOverrides) {
  const RunConfig defaults = load_run_config("");
  EXPECT_EQ(defaults.jets.pt_min, 250);
  EXPECT_EQ(defaults.top_jets.pt_min, 550);
  EXPECT_EQ(generator_config(defaults, Process::Top).pt_min, 520);

  const std::string dir = testing::scratch_dir("config");
  const std::string path = testing::write_text_file(dir, "run.json", R"({"seed": 5, "generator": {"towers": true, "gluon_fraction": 0.2},
      "jets": {"R": 0.8, "pt_max": null}})");
  const RunConfig run = load_run_config(path);
  EXPECT_EQ(run.seed, 5u);
  EXPECT_EQ(run.jets.R, 0.8);
  EXPECT_TRUE(std::isinf(run.jets.pt_max));
  const GeneratorConfig qcd = generator_config(run, Process::QCD);
  EXPECT_TRUE(qcd.towers);
  EXPECT_EQ(qcd.gluon_fraction, 0.2);
  EXPECT_EQ(generator_config(run, Process::Top).pt_min, 520);  // untouched per-process default
}

TEST(RunConfig, WrittenConfigReadsBack) {
  const std::string dir = testing::scratch_dir("config");
  JetConfig jets;
  jets.R = 0.4;
  GeneratorConfig generator = GeneratorConfig::defaults(Process::W);
  generator.ue_density = 2.5;
  Json generator_json = to_json(generator);
  generator_json.erase("process");
  const Json all = {{"jets", to_json(jets)}, {"generator", generator_json}};
  const RunConfig run = load_run_config(testing::write_text_file(dir, "back.json", all.dump()));
  EXPECT_EQ(run.jets.R, 0.4);
  EXPECT_TRUE(std::isinf(run.jets.pt_max));
  EXPECT_EQ(generator_config(run, Process::W).ue_density, 2.5);
}

TEST(RunConfig, ErrorsNameTheFileAndTheKey) {
  const std::string dir = testing::scratch_dir("config");
  std::string message = testing::error_message_of([&] { load_run_config(testing::write_text_file(dir, "a.json", R"({"jets": {"radius": 1}})")); });
  EXPECT_NE(message.find("a.json"), std::string::npos) << message;
  EXPECT_NE(message.find("unknown key 'jets.radius'"), std::string::npos) << message;
  EXPECT_NE(message.find("R,"), std::string::npos) << "lists the known keys: " << message;

  message = testing::error_message_of([&] { load_run_config(testing::write_text_file(dir, "b.json", R"({"jets": {"R": "wide"}})")); });
  EXPECT_NE(message.find("'jets.R' must be a number, got a string"), std::string::npos) << message;

  message = testing::error_message_of([&] { load_run_config(testing::write_text_file(dir, "c.json", R"({"seed": -3})")); });
  EXPECT_NE(message.find("'seed' must be a non-negative integer"), std::string::npos) << message;

  message = testing::error_message_of([&] { load_run_config(testing::write_text_file(dir, "d.json", R"({"jets": {"R": 1.0,})")); });
  EXPECT_NE(message.find("d.json' is not valid JSON"), std::string::npos) << message;

  message = testing::error_message_of([&] { load_run_config(dir + "/missing.json"); });
  EXPECT_NE(message.find("missing.json': no such file"), std::string::npos) << message;

  message = testing::error_message_of([&] { load_run_config(dir); });
  EXPECT_NE(message.find("is a directory"), std::string::npos) << message;

  message = testing::error_message_of([&] { load_run_config(testing::write_text_file(dir, "e.json", R"({"generator": {"pt_min": 400, "pt_max": 300}})")); });
  EXPECT_NE(message.find("e.json"), std::string::npos) << message;
  EXPECT_NE(message.find("'pt_max' must be above pt_min"), std::string::npos) << message;
  // Each generator setting is named by its key.
  message = testing::error_message_of(
      [&] { load_run_config(testing::write_text_file(dir, "w.json", R"({"generator": {"w_width": -1}})")); });
  EXPECT_NE(message.find("w.json: generator: 'w_width' must be in (0, w_mass), got -1"), std::string::npos) << message;
  // A number JSON cannot hold as a double is a syntax error of the file.
  message = testing::error_message_of(
      [&] { load_run_config(testing::write_text_file(dir, "big.json", R"({"jets": {"R": 1e999}})")); });
  EXPECT_NE(message.find("big.json' is not valid JSON"), std::string::npos) << message;
  // Nesting deeper than any config needs is refused before it can exhaust the stack.
  message = testing::error_message_of([&] {
    load_run_config(testing::write_text_file(dir, "deep.json", std::string(200000, '[') + std::string(200000, ']')));
  });
  EXPECT_NE(message.find("deep.json' nests deeper than 64 levels"), std::string::npos) << message;

  message = testing::error_message_of([&] { load_run_config(testing::write_text_file(dir, "f.json", R"({"jets": 3})")); });
  EXPECT_NE(message.find("'jets' must be an object"), std::string::npos) << message;
}

TEST(ConfigSection, RequiredKeysMustBePresent) {
  const Json node = Json::parse(R"({"a": 1})");
  ConfigSection section(node, "x.json", "model");
  int a = 0, b = 0;
  section.required("a", a);
  EXPECT_EQ(a, 1);
  try {
    section.required("b", b);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "x.json: required key 'model.b' is missing");
  }
}

}  // namespace
}  // namespace jetimg
