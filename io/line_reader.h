// Reads a text file line by line, plain or gzip-compressed (zlib detects
// which), keeping the line number for error messages. Lines may end in \n
// or \r\n; a NUL byte or an overlong line means the file is not text.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

namespace jetimg {

class LineReader {
 public:
  // Opens `path`; Error if it is missing, a directory or unreadable.
  explicit LineReader(const std::string& path);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line without its line ending; false at the end of the file.
  bool next(std::string& line);
  // 1-based number of the line `next` returned last.
  int64_t line_number() const { return line_number_; }
  const std::string& path() const { return path_; }
  bool compressed() const { return compressed_; }

  static constexpr size_t kMaxLine = 1 << 20;

 private:
  bool fill();
  std::string path_;
  gzFile file_ = nullptr;
  std::vector<char> buffer_;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false, compressed_ = false;
  int64_t line_number_ = 0;
};

// True if the file starts with the gzip magic bytes.
bool is_gzip_file(const std::string& path);

}  // namespace jetimg
