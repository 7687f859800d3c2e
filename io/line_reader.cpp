#include "io/line_reader.h"

#include <sys/stat.h>

#include <cstring>
#include <fstream>

#include "core/error.h"

namespace jetimg {

bool is_gzip_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char magic[2] = {0, 0};
  in.read(reinterpret_cast<char*>(magic), 2);
  return in.gcount() == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

LineReader::LineReader(const std::string& path) : path_(path), buffer_(1 << 16) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) fail("'", path, "': no such file");
  if (S_ISDIR(info.st_mode)) fail("'", path, "' is a directory, expected an events file");
  // A pipe cannot be peeked at without losing the bytes; zlib still
  // recognises gzip in it on its own.
  compressed_ = S_ISREG(info.st_mode) && is_gzip_file(path);
  file_ = gzopen(path.c_str(), "rb");
  if (!file_) fail("cannot open '", path, "' for reading");
  gzbuffer(file_, 1 << 17);
}

LineReader::~LineReader() {
  if (file_) gzclose(file_);
}

bool LineReader::fill() {
  if (eof_) return false;
  if (begin_ > 0) {  // keep the unread part at the front
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) {
    if (buffer_.size() > kMaxLine)
      fail("'", path_, "', line ", line_number_ + 1, ": longer than ", kMaxLine, " bytes (not a text file?)");
    buffer_.resize(buffer_.size() * 2);
  }
  const int got = gzread(file_, buffer_.data() + end_, static_cast<unsigned>(buffer_.size() - end_));
  if (got < 0) {
    int code = 0;
    const char* why = gzerror(file_, &code);
    fail("'", path_, "', after line ", line_number_, ": cannot read (", why ? why : "read error",
         compressed_ ? "; damaged or truncated gzip?" : "", ")");
  }
  if (got == 0) {
    eof_ = true;
    int code = Z_OK;
    gzerror(file_, &code);
    if (code != Z_OK && code != Z_STREAM_END)
      fail("'", path_, "', after line ", line_number_, ": the gzip stream ends early (truncated file?)");
  }
  end_ += static_cast<size_t>(got);
  return got > 0;
}

bool LineReader::next(std::string& line) {
  for (;;) {
    const char* start = buffer_.data() + begin_;
    const void* newline = std::memchr(start, '\n', end_ - begin_);
    if (newline || (eof_ && end_ > begin_)) {
      const size_t length = newline ? static_cast<size_t>(static_cast<const char*>(newline) - start) : end_ - begin_;
      line.assign(start, length);
      begin_ += newline ? length + 1 : length;
      ++line_number_;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find('\0') != std::string::npos)
        fail("'", path_, "', line ", line_number_, ": contains a NUL byte (a binary file, not text?)");
      return true;
    }
    if (!fill() && eof_ && end_ == begin_) return false;
  }
}

}  // namespace jetimg
