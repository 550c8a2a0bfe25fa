// This process's resource use, from /proc (Linux).
#ifndef DIGITINFER_SERVER_METRICS_PROCESS_STATS_HPP
#define DIGITINFER_SERVER_METRICS_PROCESS_STATS_HPP

namespace server::metrics {

struct ProcessStats {
    double cpu_seconds = 0;      ///< user + system
    double resident_bytes = 0;   ///< VmRSS
    double virtual_bytes = 0;    ///< VmSize
    double open_fds = 0;
    double threads = 0;
    double start_time_seconds = 0;  ///< since the Unix epoch
};

ProcessStats read_process_stats();

}  // namespace server::metrics

#endif  // DIGITINFER_SERVER_METRICS_PROCESS_STATS_HPP
