#include "process_stats.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace server::metrics {
namespace {

double boot_time_seconds() {
    std::ifstream stat("/proc/stat");
    std::string key;
    double value = 0;
    while (stat >> key) {
        if (key == "btime" && stat >> value) return value;
        stat.ignore(1 << 16, '\n');
    }
    return 0;
}

}  // namespace

ProcessStats read_process_stats() {
    ProcessStats out;
    const double ticks = double(sysconf(_SC_CLK_TCK));
    std::ifstream stat("/proc/self/stat");
    std::string line;
    if (std::getline(stat, line)) {
        // Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15, threads 20,
        // starttime 22.
        std::istringstream rest(line.substr(line.rfind(')') + 2));
        std::string field;
        double utime = 0, stime = 0, threads = 0, start = 0;
        for (int i = 3; rest >> field; ++i) {
            if (i == 14) utime = std::stod(field);
            if (i == 15) stime = std::stod(field);
            if (i == 20) threads = std::stod(field);
            if (i == 22) { start = std::stod(field); break; }
        }
        out.cpu_seconds = (utime + stime) / ticks;
        out.threads = threads;
        out.start_time_seconds = boot_time_seconds() + start / ticks;
    }
    std::ifstream status("/proc/self/status");
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) out.resident_bytes = std::stod(line.substr(6)) * 1024;
        if (line.rfind("VmSize:", 0) == 0) out.virtual_bytes = std::stod(line.substr(7)) * 1024;
    }
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        ++out.open_fds;
    return out;
}

}  // namespace server::metrics
