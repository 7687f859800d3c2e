// What every subcommand checks before it writes: that no output is one of its
// inputs (by resolved path, and by inode for files that exist, so symlinks and
// hard links are caught), and, for training runs, that an output folder holding
// a previous run is not silently replaced.
#pragma once

#include <string>
#include <vector>

namespace jetimg {

// Refuses, with one message naming both, when an output file is an input (the
// same file by inode, or the same resolved path), or when two outputs are the
// same file. Empty names are ignored. Call it before any output is opened.
void refuse_outputs_over_inputs(const std::vector<std::string>& inputs, const std::vector<std::string>& outputs);

// How a training run treats its output folder.
enum class RunStart {
  Fresh,      // the folder must be missing or empty
  Resume,     // continue a run: its files are replaced as the run writes them
  Overwrite,  // replace a previous run: its files (see below) are removed first
};

// Refuses when an input lies in `dir` under a name the command writes there
// (`patterns`: names in `dir`; a '*' matches any characters, as in
// "generator_epoch_*.h5").
void refuse_folder_over_inputs(const std::vector<std::string>& inputs, const std::string& dir,
                               const std::vector<std::string>& patterns);

// Resume when a checkpoint to resume is given, else Overwrite or Fresh.
inline RunStart run_start(const std::string& resume, bool overwrite) {
  return !resume.empty() ? RunStart::Resume : overwrite ? RunStart::Overwrite : RunStart::Fresh;
}

// Checks, changing nothing, that `dir` can take a run that writes the files
// `run_files` (patterns as above): no input would be written over (a resumed
// checkpoint, read whole before training starts, is not an input here); `dir`
// is a folder or can be made; and a Fresh start finds it missing or empty
// (the Error names what is there and the flags that allow it). Call it before
// reading the inputs, so that a refusal comes at once.
void check_run_folder(const std::string& dir, RunStart start, const std::vector<std::string>& run_files,
                      const std::vector<std::string>& inputs);
// check_run_folder, then makes `dir` if missing and, for Overwrite, removes
// the previous run's files (those matching `run_files`, nothing else). Call
// it just before the run writes its first file.
void prepare_run_folder(const std::string& dir, RunStart start, const std::vector<std::string>& run_files,
                        const std::vector<std::string>& inputs);

// The files of `dir` that match a pattern of `run_files` (sorted names).
std::vector<std::string> run_files_in(const std::string& dir, const std::vector<std::string>& run_files);

// Makes `dir` (and its parents) for outputs such as a report folder; Error
// naming it when it is a file or cannot be made.
void make_output_folder(const std::string& dir);

}  // namespace jetimg
