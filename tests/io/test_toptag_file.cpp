// The top-tagging dataset reader against a file written by pandas itself
// (tests/python/make_toptag_fixture.py, run in the project's .venv), and
// against HDF5 files with the wrong layout.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "core/error.h"
#include "io/event_source.h"
#include "io/hdf5.h"
#include "io/toptag_file.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

// Writes the pandas fixture into `dir`; empty (and `why`) if it cannot.
std::string make_fixture(const std::string& dir, const std::string& layout, std::string& why) {
  const std::string python = std::string(JETIMG_SOURCE_DIR) + "/.venv/bin/python";
  if (!std::filesystem::exists(python)) {
    why = "no project venv (" + python + "); ./run test creates it from python/requirements.txt";
    return "";
  }
  const std::string path = dir + "/toptag_" + layout + ".h5";
  const std::string command = "'" + python + "' '" + JETIMG_SOURCE_DIR + "/tests/python/make_toptag_fixture.py' '" +
                              path + "' " + layout + " >'" + dir + "/log.txt' 2>&1";
  if (std::system(command.c_str()) != 0 || !std::filesystem::exists(path)) {
    why = "tests/python/make_toptag_fixture.py failed (pandas or tables missing from .venv?), see " + dir + "/log.txt";
    return "";
  }
  return path;
}

FourVector constituent(double pt, double eta, double phi) { return FourVector::from_pt_eta_phi_m(pt, eta, phi, 0); }

class TopTagLayouts : public ::testing::TestWithParam<const char*> {};

TEST_P(TopTagLayouts, ReadsWhatPandasWrote) {
  const std::string dir = testing::scratch_dir("toptag");
  std::string why;
  const std::string path = make_fixture(dir, GetParam(), why);
  if (path.empty()) GTEST_SKIP() << why;

  auto source = open_event_source(path);
  EXPECT_EQ(source->format(), "toptag");
  EXPECT_EQ(source->provenance()["pandas_layout"], GetParam());
  EXPECT_EQ(source->size_hint(), 5);
  std::vector<Event> events;
  std::vector<int64_t> indices;
  std::vector<int32_t> labels;
  for (EventBatch b = source->read_batch(2); !b.empty(); b = source->read_batch(2)) {
    for (size_t i = 0; i < b.size(); ++i) {
      events.push_back(b.events[i]);
      indices.push_back(b.indices[i]);
      labels.push_back(b.labels[i]);
    }
  }
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(indices, (std::vector<int64_t>{0, 1, 4}));
  EXPECT_EQ(labels, (std::vector<int32_t>{1, 0, 0}));
  EXPECT_EQ(events[0].size(), 3u);
  EXPECT_EQ(events[1].size(), 2u);
  EXPECT_EQ(events[2].size(), 200u);
  const FourVector expected = constituent(200, 0.3, 0.5);
  EXPECT_NEAR(events[0][1].p.E, expected.E, 1e-9);
  EXPECT_NEAR(events[0][1].p.px, expected.px, 1e-9);
  EXPECT_NEAR(events[0][1].p.pz, expected.pz, 1e-9);
  EXPECT_NEAR(events[2][199].p.pt(), 200.0, 1e-9);
  EXPECT_EQ(source->counts().skipped, 2);
  ASSERT_EQ(source->counts().reasons.size(), 2u);
  EXPECT_NE(source->counts().reasons[0].find("row 2: constituent 1 has a NaN"), std::string::npos)
      << source->counts().reasons[0];
  EXPECT_NE(source->counts().reasons[1].find("row 3: no constituents"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Pandas, TopTagLayouts, ::testing::Values("fixed", "table"));

TEST(TopTagFile, UnpicklesProtocolZeroStringLists) {
  EXPECT_EQ(unpickle_string_list("(lp0\nVE_0\np1\naVPX_0\np2\na."), (std::vector<std::string>{"E_0", "PX_0"}));
  EXPECT_EQ(unpickle_string_list("(lp1\nS'ttv'\np2\naS'is_signal_new'\np3\na."),
            (std::vector<std::string>{"ttv", "is_signal_new"}));
  EXPECT_THROW(unpickle_string_list("\x80\x02]q\x00"), Error);
  EXPECT_THROW(unpickle_string_list("(lp0\nI42\na."), Error);
}

// A `table` group written by hand, with `items` naming the columns of one
// block of `rows` x `values_columns` doubles (or a 1-D block if flat).
std::string write_table(const std::string& path, const std::vector<std::string>& items, hsize_t rows,
                        hsize_t values_columns, bool flat = false) {
  h5::silence_library_errors();
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hid_t group = H5Gcreate2(file, "table", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (!items.empty()) {
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, 16);
    std::vector<char> raw(16 * items.size(), '\0');
    for (size_t i = 0; i < items.size(); ++i) items[i].copy(raw.data() + 16 * i, 16);
    const hsize_t n = items.size();
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    const hid_t d = H5Dcreate2(group, "block0_items", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data());
    H5Dclose(d), H5Sclose(space), H5Tclose(type);
  }
  const hsize_t dims[2] = {rows, values_columns};
  std::vector<double> values(rows * values_columns, 1.0);
  const hid_t space = H5Screate_simple(flat ? 1 : 2, dims, nullptr);
  const hid_t d = H5Dcreate2(group, "block0_values", H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  H5Dclose(d), H5Sclose(space), H5Gclose(group), H5Fclose(file);
  return path;
}

TEST(TopTagFile, WrongLayoutsAreClearErrors) {
  const std::string dir = testing::scratch_dir("toptag_bad");
  const auto message = [](const std::string& path) {
    try {
      TopTagSource source(path);
      source.read_batch(10);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::vector<std::string> good = {"E_0", "PX_0", "PY_0", "PZ_0", "is_signal_new"};
  EXPECT_EQ(message(write_table(dir + "/good.h5", good, 3, 5)), "no error");
  EXPECT_NE(message(write_table(dir + "/no_items.h5", {}, 3, 5)).find("has no 'table/block0_items'"),
            std::string::npos);
  EXPECT_NE(message(write_table(dir + "/shape.h5", good, 3, 4)).find("must have shape (rows, 5)"), std::string::npos);
  EXPECT_NE(message(write_table(dir + "/flat.h5", good, 15, 1, true)).find("must have shape"), std::string::npos);
  EXPECT_NE(message(write_table(dir + "/label.h5", {"E_0", "PX_0", "PY_0", "PZ_0"}, 3, 4))
                .find("column 'is_signal_new' is missing"),
            std::string::npos);
  EXPECT_NE(message(write_table(dir + "/nopart.h5", {"truthE", "is_signal_new"}, 3, 2)).find("no constituent columns"),
            std::string::npos);
  EXPECT_NE(message(write_table(dir + "/half.h5", {"E_0", "PX_0", "is_signal_new"}, 3, 3)).find("'PY_0' is missing"),
            std::string::npos);
}

}  // namespace
}  // namespace jetimg
