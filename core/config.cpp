#include "core/config.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <vector>

#include "core/error.h"

namespace jetimg {
namespace {

// Parses with a callback that refuses nesting deeper than kMaxJsonDepth
// before the parser descends further, and keeps the keys on the way to the
// current value, so that an error names the key ("jets.R") as well as the
// position.
template <typename Input>
Json parse_bounded(Input&& input, const std::string& where) {
  std::vector<std::string> keys;  // keys[d - 1]: the key at depth d ("" inside lists)
  const auto callback = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (depth > kMaxJsonDepth) fail(where, " nests deeper than ", kMaxJsonDepth, " levels");
    if (event == Json::parse_event_t::key) {
      keys.resize(static_cast<size_t>(depth));
      keys.back() = parsed.get<std::string>();
    }
    return true;
  };
  try {
    return Json::parse(std::forward<Input>(input), callback);
  } catch (const Json::exception& e) {  // syntax errors, and numbers out of range such as 1e999
    std::string key;
    for (const std::string& k : keys)
      if (!k.empty()) key += (key.empty() ? "" : ".") + k;
    fail(where, " is not valid JSON", key.empty() ? "" : " at '" + key + "'", ": ", e.what());
  }
}

}  // namespace

const char* json_type_name(const Json& v) {
  if (v.is_boolean()) return "true/false";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "a list";
  if (v.is_object()) return "an object";
  return "null";
}

Json parse_json(const std::string& text, const std::string& where) { return parse_bounded(text, where); }

Json load_json_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail("config '", path, "': no such file");
  if (std::filesystem::is_directory(path, ec)) fail("config '", path, "' is a directory, expected a JSON file");
  std::ifstream in(path);
  if (!in) fail("config '", path, "': cannot be read");
  return parse_bounded(in, "config '" + path + "'");
}

ConfigSection::ConfigSection(const Json& node, std::string file, std::string path)
    : node_(node), file_(std::move(file)), path_(std::move(path)) {
  if (!node_.is_null() && !node_.is_object())
    fail(file_, ": '", path_.empty() ? "(top level)" : path_, "' must be an object, got ", json_type_name(node_));
}

std::string ConfigSection::where(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

const Json* ConfigSection::lookup(const std::string& key) {
  known_.insert(key);
  if (!node_.is_object()) return nullptr;
  const auto it = node_.find(key);
  return it == node_.end() ? nullptr : &*it;
}

template <typename T>
void ConfigSection::optional(const std::string& key, T& value) {
  const Json* v = lookup(key);
  if (!v) return;
  const auto wrong = [&](const char* expected) {
    fail(file_, ": '", where(key), "' must be ", expected, ", got ", json_type_name(*v));
  };
  if constexpr (std::is_same_v<T, bool>) {
    if (!v->is_boolean()) wrong("true or false");
  } else if constexpr (std::is_integral_v<T>) {
    if (!v->is_number_integer()) wrong("an integer");
    if (std::is_unsigned_v<T> && !v->is_number_unsigned()) wrong("a non-negative integer");
  } else if constexpr (std::is_floating_point_v<T>) {
    if (v->is_null()) {  // an open window, as to_json writes infinity
      value = std::numeric_limits<T>::infinity();
      return;
    }
    if (!v->is_number()) wrong("a number");
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v->is_string()) wrong("a string");
  } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
    if (!v->is_array()) wrong("a list of integers");
    for (const Json& e : *v)
      if (!e.is_number_integer()) wrong("a list of integers");
  } else if constexpr (std::is_same_v<T, std::vector<std::vector<int64_t>>>) {
    if (!v->is_array()) wrong("a list of lists of integers");
    for (const Json& list : *v) {
      if (!list.is_array()) wrong("a list of lists of integers");
      for (const Json& e : list)
        if (!e.is_number_integer()) wrong("a list of lists of integers");
    }
  }
  value = v->get<T>();
}

template <typename T>
void ConfigSection::required(const std::string& key, T& value) {
  if (!node_.is_object() || !node_.contains(key)) fail(file_, ": required key '", where(key), "' is missing");
  optional(key, value);
}

template <typename T>
void ConfigSection::optional(const std::string& key, T& value, T lo, T hi) {
  const bool present = node_.is_object() && node_.contains(key);
  optional(key, value);
  if (present && !(value >= lo && value <= hi))
    fail(file_, ": '", where(key), "' must be in [", lo, ", ", hi, "], got ", value);
}

template <typename T>
void ConfigSection::required(const std::string& key, T& value, T lo, T hi) {
  if (!node_.is_object() || !node_.contains(key)) fail(file_, ": required key '", where(key), "' is missing");
  optional(key, value, lo, hi);
}

ConfigSection ConfigSection::section(const std::string& key) {
  const Json* v = lookup(key);
  return ConfigSection(v ? *v : Json(), file_, where(key));
}

void ConfigSection::finish() const {
  if (!node_.is_object()) return;
  for (const auto& item : node_.items()) {
    if (known_.count(item.key())) continue;
    std::ostringstream list;
    for (const std::string& k : known_) list << (list.tellp() ? ", " : "") << k;
    fail(file_, ": unknown key '", where(item.key()), "' (known keys here: ", list.str(), ")");
  }
}

template void ConfigSection::optional<bool>(const std::string&, bool&);
template void ConfigSection::optional<int>(const std::string&, int&);
template void ConfigSection::optional<int64_t>(const std::string&, int64_t&);
template void ConfigSection::optional<uint64_t>(const std::string&, uint64_t&);
template void ConfigSection::optional<double>(const std::string&, double&);
template void ConfigSection::optional<float>(const std::string&, float&);
template void ConfigSection::optional<std::string>(const std::string&, std::string&);
template void ConfigSection::optional<std::vector<int64_t>>(const std::string&, std::vector<int64_t>&);
template void ConfigSection::optional<std::vector<std::vector<int64_t>>>(const std::string&,
                                                                           std::vector<std::vector<int64_t>>&);
template void ConfigSection::optional<int>(const std::string&, int&, int, int);
template void ConfigSection::optional<int64_t>(const std::string&, int64_t&, int64_t, int64_t);
template void ConfigSection::optional<double>(const std::string&, double&, double, double);
template void ConfigSection::optional<float>(const std::string&, float&, float, float);
template void ConfigSection::required<int64_t>(const std::string&, int64_t&, int64_t, int64_t);
template void ConfigSection::required<double>(const std::string&, double&, double, double);
template void ConfigSection::required<float>(const std::string&, float&, float, float);
template void ConfigSection::required<int>(const std::string&, int&);
template void ConfigSection::required<int64_t>(const std::string&, int64_t&);
template void ConfigSection::required<double>(const std::string&, double&);
template void ConfigSection::required<float>(const std::string&, float&);
template void ConfigSection::required<std::string>(const std::string&, std::string&);

}  // namespace jetimg
