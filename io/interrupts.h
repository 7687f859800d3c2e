// What an interrupt (Ctrl-C, SIGTERM) must clean up before the process ends:
// temporary outputs still being written, and child processes (Pythia's
// workers) that would otherwise go on after their parent. The handler is
// installed on first use; it removes the files, ends the children's process
// groups, and then ends the process by the same signal.
#pragma once

#include <string>
#include <sys/types.h>

namespace jetimg {

// Registers a file to remove on an interrupt; returns a slot for release(),
// or -1 when the table is full (the file is then only removed normally).
int remove_on_interrupt(const std::string& path);
// Registers a child's process group to end (SIGTERM) on an interrupt.
int end_on_interrupt(pid_t process_group);
// Forgets a registration (the file was committed or removed, the child reaped).
void release_interrupt_slot(int slot);

}  // namespace jetimg
